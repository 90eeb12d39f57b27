/// Text from a file made safe and short for a terminal or a message (docs/formats.md §13).
///
/// Names, keys and strings inside a checkpoint are untrusted: an ESC sequence printed raw can
/// rewrite the terminal, and one string of a megabyte repeated through a pickle's memo would
/// fill the screen. `escaped` writes control characters as `\e`, `\n`, `\t`, `\u{…}`;
/// `truncated` keeps the first `limit` characters and says how many were left out.
public enum DisplayText {
    /// The longest string `truncated` shows by default (characters).
    public static let defaultLimit = 200

    /// `s` with every control character (C0, DEL, C1) written as an escape.
    /// `text` with control characters escaped except line breaks and tabs, for a terminal
    /// (docs/formats.md §13): every message and note of the command line.
    public static func terminalSafe(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map { escaped(String($0)) }.joined(separator: "\t") }
            .joined(separator: "\n")
    }

    public static func escaped(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: isControl) else { return s }
        var out = ""
        out.reserveCapacity(s.utf8.count + 8)
        for u in s.unicodeScalars {
            guard isControl(u) else { out.unicodeScalars.append(u); continue }
            switch u {
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{1B}": out += "\\e"
            default: out += "\\u{\(String(u.value, radix: 16))}"
            }
        }
        return out
    }

    /// `escaped(s)` cut to `limit` characters, with "… (N more characters)" when cut.
    public static func truncated(_ s: String, limit: Int = defaultLimit) -> String {
        let n = s.count
        if n <= limit { return escaped(s) }
        return escaped(String(s.prefix(limit))) + "… (\(n - limit) more characters)"
    }

    static func isControl(_ u: Unicode.Scalar) -> Bool {
        u.value < 0x20 || (u.value >= 0x7F && u.value < 0xA0)
    }
}
