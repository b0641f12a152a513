/// An input file SteerLens needs cannot be read.
public struct InputFileError: SteerLensError {
    public let path: String
    public let reason: String
    public init(path: String, reason: String) { (self.path, self.reason) = (path, reason) }
    public var kind: FailureKind { .missingInput }
    public var message: String { "'\(path)' \(reason)" }
    public var hint: String { "check the path and its permissions" }
}
