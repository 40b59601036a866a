import LockstepHDF5

/// The check of format extension 13: the optimizer state before the first recorded step,
/// for a recording that starts in the middle of training.
extension FixtureCheck {
    /// A parameter's `initial_state/<key>` datasets: each in the file's dtype, shaped as a
    /// row of `state/<key>` (so the key is recorded after each step too), and only for a
    /// parameter in the optimizer from step 1.
    func initialState(
        _ group: HDF5Group, header: FixtureHeader, state: [String: HDF5Dataset], joinsAt step: Int
    ) throws -> [String: HDF5Dataset] {
        guard try group.childKind("initial_state") != nil else { return [:] }
        let initialState = try group.group("initial_state")
        var datasets: [String: HDF5Dataset] = [:]
        for key in try initialState.childNames().sorted() {
            let dataset = try floatDataset(try initialState.dataset(key), header: header)
            guard let series = state[key] else {
                throw error(dataset.path, "has no series \(group.path)/state/\(key) (a key of the state before step 1 is recorded after each step too)")
            }
            let row = Array(series.shape.dropFirst())
            guard dataset.shape == row else {
                throw error(dataset.path, "shape \(dataset.shape) disagrees with the rows of \(series.path); expected \(row)")
            }
            datasets[key] = dataset
        }
        if step > 1, !datasets.isEmpty {
            throw error(
                initialState.path,
                "the parameter joins through add_param_group before step \(step), so it has no state before step 1")
        }
        return datasets
    }
}
