/// An error reading a weight file: names the file and what is wrong with it.
public struct CheckpointError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file the problem is in.
    public var path: String
    /// What is wrong, in words a user can act on.
    public var message: String

    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    public var description: String { "\(path): \(message)" }
}
