/// An error about a group request (an unknown name, a group too large for what was asked,
/// an element list that is not the group), with a message a user can act on.
public struct GroupError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ message: String) { description = message }
}
