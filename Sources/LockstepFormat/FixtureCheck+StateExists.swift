import LockstepHDF5

extension FixtureCheck {
    /// The optional `state_exists` group (format extension 15): for a state key, `[N]`
    /// integers, 1 where the entry exists after step `t`, 0 where it does not. It says so
    /// explicitly where the NaN convention cannot (an entry that exists and is all NaN); a
    /// key without one keeps the convention. A row where the entry does not exist must be
    /// all NaN, as the convention writes it; that is checked as rows are read.
    func stateExists(_ group: HDF5Group, header: FixtureHeader, state: [String: HDF5Dataset]) throws -> [String: [Bool]] {
        guard try group.childKind("state_exists") != nil else { return [:] }
        let exists = try group.group("state_exists")
        var flags: [String: [Bool]] = [:]
        for key in try exists.childNames().sorted() {
            let dataset = try exists.dataset(key)
            guard state[key] != nil else {
                throw error(dataset.path, "has no series \(group.path)/state/\(key) (it says when that entry exists)")
            }
            guard dataset.storedType.isInteger else { throw error(dataset.path, "holds \(dataset.storedType), expected uint8") }
            guard dataset.shape == [header.steps] else {
                throw error(dataset.path, "shape \(dataset.shape), expected [\(header.steps)]")
            }
            flags[key] = try self.flags(dataset)
        }
        return flags
    }
}
