import Foundation

/// Number and column formatting shared by the text renderers.
public enum TextFormat {
    /// `v` with `digits` decimals, "-" when missing or not finite.
    public static func fixed(_ v: Double?, _ digits: Int) -> String {
        guard let v, v.isFinite else { return "-" }
        return String(format: "%.\(digits)f", v)
    }

    /// Five significant digits, "-" when missing or not finite.
    public static func sci(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "-" }
        return String(format: "%.5g", v)
    }

    /// `s` left-aligned in `width` columns (one space after it when it is wider).
    public static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }

    /// A CSV cell: empty when missing.
    public static func csv(_ v: Int?) -> String { v.map(String.init) ?? "" }
    public static func csv(_ v: Double?) -> String { v.map { $0.description } ?? "" }

    /// A CSV label, quoted when it holds a comma or a quote.
    public static func csvLabel(_ s: String?) -> String {
        guard let s else { return "" }
        return s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
