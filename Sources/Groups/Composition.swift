import Foundation

/// How a product of two elements is read (docs/theory.md §6).
///
/// Every group kind multiplies right to left ((g·h)(x) = g(h(x))); the opposite group is
/// handled here, in one place (`operands(_:_:)`), for every kind alike. Outputs spell the
/// conventions `right-to-left` and `left-to-right` (`spelling`, also `description`); the
/// raw values (`rightToLeft`, `leftToRight`) are the Swift names and stay as they are.
public enum Composition: String, Sendable, CaseIterable, CustomStringConvertible {
    /// (g·h)(x) = g(h(x)): apply h first. The default everywhere.
    case rightToLeft
    /// (g·h)(x) = h(g(x)): apply g first (the opposite group).
    case leftToRight

    /// "right-to-left" or "left-to-right", as every output writes it.
    public var spelling: String {
        switch self {
        case .rightToLeft: return "right-to-left"
        case .leftToRight: return "left-to-right"
        }
    }

    public var description: String { spelling }

    /// The other convention.
    public var opposite: Composition { self == .rightToLeft ? .leftToRight : .rightToLeft }

    /// The operands of a·b in right-to-left order: (a, b) for `.rightToLeft`, (b, a) for
    /// `.leftToRight` (whose a·b is the right-to-left product b·a).
    @inlinable public func operands(_ a: Int, _ b: Int) -> (Int, Int) {
        self == .rightToLeft ? (a, b) : (b, a)
    }

    /// Reads `rightToLeft`, `right-to-left`, `right_to_left` (and the `left` versions),
    /// case-insensitively; nil for anything else.
    public init?(spelling text: String) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        for c in Composition.allCases {
            let words = c.spelling   // "right-to-left"
            if t == words || t == words.replacingOccurrences(of: "-", with: "_")
                || t == words.replacingOccurrences(of: "-", with: "") {
                self = c
                return
            }
        }
        return nil
    }

    /// As `init?(spelling:)`, throwing a GroupError that lists the accepted spellings.
    public static func parse(_ text: String) throws -> Composition {
        guard let c = Composition(spelling: text) else {
            throw GroupError("'\(text)' is not a composition convention; write right-to-left ((g·h)(x) = g(h(x)), the default) or left-to-right (also accepted: rightToLeft, right_to_left, leftToRight, left_to_right, in any case)")
        }
        return c
    }
}
