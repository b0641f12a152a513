import ModelImport
import SteerLensSupport

/// Usage errors found after parsing (exit 64), e.g. an output the model does not have.
public struct UsageError: SteerLensError {
    public let message: String
    public let hint: String
    public var kind: FailureKind { .usage }

    public init(message: String, hint: String) {
        (self.message, self.hint) = (message, hint)
    }
}

extension ModelCard {
    /// The index of an output given by index or name, if the model has it.
    public func outputIndex(_ selector: String) -> Int? {
        if let index = Int(selector), outputs.indices.contains(index) { return index }
        return outputs.firstIndex { $0.name == selector }
    }

    /// The index of the output `selector` names (index or name); the first output when nil.
    /// - Throws: ``UsageError`` listing the outputs when the model has no such output.
    public func selectOutput(_ selector: String?) throws -> Int {
        guard let selector else { return 0 }
        if let index = outputIndex(selector) { return index }
        let choices = outputs.enumerated().map { "\($0.offset)=\($0.element.name)" }.joined(separator: ", ")
        throw UsageError(message: "model has no output '\(selector)'", hint: "choose one of: \(choices)")
    }
}
