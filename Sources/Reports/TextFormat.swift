import Foundation

/// Number and column formatting shared by the text renderers.
public enum TextFormat {
    /// `v` with `digits` decimals, "-" when missing or not finite.
    public static func fixed(_ v: Double?, _ digits: Int) -> String {
        guard let v, v.isFinite else { return "-" }
        return String(format: "%.\(digits)f", v)
    }

    /// A share in [0, 1] as a percentage (no "%" sign) with `digits` decimals, or with as many
    /// more (up to six) as it takes not to show a share below 1 as 100 or one above 0 as 0
    /// (an accuracy of 0.9997 is "99.97", not "100.0"); "-" when missing or not finite.
    public static func percent(_ share: Double?, _ digits: Int) -> String {
        guard let v = share, v.isFinite else { return "-" }
        var d = digits
        var text = String(format: "%.\(d)f", v * 100)
        while d < 6, (v < 1 && text == String(format: "%.\(d)f", 100.0)) || (v > 0 && text == String(format: "%.\(d)f", 0.0)) {
            d += 1
            text = String(format: "%.\(d)f", v * 100)
        }
        return text
    }

    /// A loss (cross-entropy, ≥ 0): four decimals from 0.001 up, below that four significant
    /// digits in exponent form (a trained network's loss of 2.7e-05 is not "0.0000"); "-" when
    /// missing or not finite.
    public static func loss(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "-" }
        if v == 0 || abs(v) >= 0.001 { return String(format: "%.4f", v) }
        return String(format: "%.3e", v)
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
