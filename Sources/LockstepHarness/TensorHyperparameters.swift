import LockstepFormat
import LockstepOptim

/// The hyperparameters of a group that are 0-dim tensors in torch, read at the edge where
/// torch's JSON becomes an optimizer's options.
///
/// Two spellings arrive there: a fixture's group names them in `"tensor_hyperparameters"`
/// beside their numbers (format extension 16, `{"lr": 0.001, "tensor_hyperparameters":
/// {"lr": "float32"}}`), and torch's keyword arguments as `fixtures/optim_db/errors.json`
/// records them describe the tensor in place (`{"tensor": [2], "dtype": "float32",
/// "values": [0.001, 0.001]}`), which may hold more than one element; torch's constructors
/// refuse that (`Tensor lr must be 1-element`), and so does this.
enum TensorHyperparameters {
    /// Removes both spellings from `group` (leaving each value as its number) and returns
    /// each tensor hyperparameter's dtype.
    static func take(from group: inout [String: JSONValue]) throws -> [String: TensorDType] {
        var tensors: [String: TensorDType] = [:]
        let key = FixtureHeader.ParamGroup.tensorHyperparametersKey
        if let listed = group.removeValue(forKey: key) {
            guard let object = listed.objectValue else {
                throw OptimizerError(.typeError, "\"\(key)\" must be a JSON object from a hyperparameter to its dtype")
            }
            for (name, value) in object {
                guard let dtype = value.stringValue.flatMap(TensorDType.init(rawValue:)) else {
                    throw OptimizerError(.typeError, "\"\(key)\": '\(name)' has the dtype \(value), expected \"float32\" or \"float64\"")
                }
                tensors[name] = dtype
            }
        }
        // A tuple's elements (`betas=(torch.tensor(0.9), 0.99)`): each named `betas[0]`.
        for (name, value) in group {
            guard var elements = value.arrayValue, elements.contains(where: { $0.objectValue?["tensor"] != nil }) else { continue }
            for index in elements.indices where elements[index].objectValue?["tensor"] != nil {
                let element = "\(name)[\(index)]"
                var single = [element: elements[index]]
                tensors.merge(try take(from: &single)) { $1 }
                elements[index] = single[element] ?? elements[index]
            }
            group[name] = .array(elements)
        }
        for (name, value) in group {
            guard let description = value.objectValue, let shape = description["tensor"]?.arrayValue else { continue }
            guard let dtype = description["dtype"]?.stringValue.flatMap(TensorDType.init(rawValue:)),
                  let values = description["values"]?.arrayValue?.compactMap(\.numberValue)
            else {
                throw OptimizerError(.typeError, "'\(name)' describes a tensor without a float32 or float64 dtype and its values")
            }
            // torch's constructors: `if isinstance(lr, Tensor) and lr.numel() != 1: raise ValueError(...)`
            guard values.count == 1, shape.count == 0 || shape.allSatisfy({ $0.integerValue == 1 }) else {
                throw OptimizerError(.valueError, "Tensor \(name) must be 1-element")
            }
            group[name] = .number(dtype.rounded(values[0]))
            tensors[name] = dtype
        }
        return tensors
    }

    /// `options` with the tensor hyperparameters set: only `lr`, of an optimizer whose
    /// options are ``TensorLearningRateOptions``; anything else is refused, since torch's
    /// arithmetic with a tensor differs from a float's in most optimizers.
    static func apply<O: Optimizer>(_ tensors: [String: TensorDType], to options: O.Options, of _: O.Type) throws -> O.Options {
        let optimizer = O.torchName
        // torch's own checks of tensor arguments come first (`Adam`: not with foreach).
        if !tensors.isEmpty, let checking = O.self as? any TensorArgumentChecking.Type {
            try checking.checkTensorArguments(Set(tensors.keys), erased: options)
        }
        for name in tensors.keys.sorted() where name != "lr" {
            throw OptimizerError(.runtimeError, "\(optimizer): '\(name)' as a 0-dim tensor is not reproduced by Lockstep (only lr)")
        }
        guard let dtype = tensors["lr"] else { return options }
        guard var tensorOptions = options as? any TensorLearningRateOptions else {
            throw OptimizerError(
                .runtimeError,
                "\(optimizer): lr as a 0-dim \(dtype.rawValue) tensor is not reproduced by Lockstep (torch computes with it in \(dtype.rawValue), not as a Python float)")
        }
        tensorOptions.lrTensor = dtype
        return tensorOptions as! O.Options
    }
}

extension TensorArgumentChecking {
    /// ``checkTensorArguments(_:_:)`` for options known only as `Any` (a type found at run time).
    static func checkTensorArguments(_ tensors: Set<String>, erased options: Any) throws {
        guard let options = options as? Options else { return }
        try checkTensorArguments(tensors, options)
    }
}
