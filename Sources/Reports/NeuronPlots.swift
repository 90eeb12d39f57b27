import Analysis
import Foundation

/// The paper's Fig. 1 panels for the profiled neurons of an analysis (`--neurons K`): for a
/// cyclic group, each role's weights over the elements of C_n as dots with the real
/// trigonometric interpolation through them, next to the neuron's power spectrum; for any other
/// group, the share of each role's power per real irreducible component.
///
/// Every panel is drawn from the record's `neuron_profiles` alone (docs/theory.md §4–§5), and
/// each dot and bar carries its number (`data-value`, `data-share`) as written to report.json.
public enum NeuronPlots {
    /// Points per element on which the interpolation is drawn.
    static let oversampling = 8

    /// The real trigonometric interpolation of samples x₀ … x_{n−1} (x_j taken at t = j),
    /// evaluated at `t`: the real function with the same DFT on the n points,
    ///
    ///     f(t) = (1/n) [X₀ + 2 Σ_{0<k<n/2} Re(X_k e^{2πikt/n}) + X_{n/2} cos(πt)],
    ///
    /// with X_k = Σ_j x_j e^{−2πijk/n} (the last term for even n only). f(j) = x_j exactly up to
    /// rounding; a single-frequency neuron gives a pure sinusoid.
    public static func interpolate(_ x: [Double], at t: [Double]) -> [Double] {
        let n = x.count
        guard n > 0 else { return t.map { _ in 0 } }
        // X_k by the direct sum with exact angle reduction (j·k mod n): O(n²), n ≤ a few thousand.
        let cosTable = (0..<n).map { cos(2 * Double.pi * Double($0) / Double(n)) }
        let sinTable = (0..<n).map { sin(2 * Double.pi * Double($0) / Double(n)) }
        let half = n / 2
        var re = [Double](repeating: 0, count: half + 1), im = [Double](repeating: 0, count: half + 1)
        for k in 0...half {
            var sr = 0.0, si = 0.0
            for j in 0..<n {
                let idx = (j * k) % n
                sr += x[j] * cosTable[idx]
                si -= x[j] * sinTable[idx]
            }
            re[k] = sr; im[k] = si
        }
        return t.map { t in
            var f = re[0]
            for k in stride(from: 1, to: (n + 1) / 2, by: 1) {
                let angle = 2 * Double.pi * Double(k) * t / Double(n)
                f += 2 * (re[k] * cos(angle) - im[k] * sin(angle))
            }
            if n % 2 == 0 { f += re[half] * cos(Double.pi * t) }
            return f / Double(n)
        }
    }

    /// One figure per profiled neuron, largest norm first; none when the record has no profiles.
    public static func figures(_ r: GroupAnalysisRecord) -> [Report.Figure] {
        r.neuronProfiles.enumerated().map { rank, p in
            let id = "neuron-\(p.index)"
            let norm = p.norm.map { String(format: "%.4g", $0) } ?? "—"
            if r.isCyclic {
                return Report.Figure(
                    id: id,
                    caption: "Neuron \(p.index) (number \(rank + 1) by norm, ‖ω‖ = \(norm)): \(r.roles.joined(separator: ", ")) over the elements of C_\(r.order) as dots, with the real trigonometric interpolation of the same DFT drawn through them (the paper's Fig. 1); right: the share of each role's power per frequency.",
                    svg: cyclicPanel(id: id, title: "neuron \(p.index)", profile: p, roles: r.roles, labels: r.components))
            }
            return Report.Figure(
                id: id,
                caption: "Neuron \(p.index) (number \(rank + 1) by norm, ‖ω‖ = \(norm)): the share of each role's power ‖P_ρ x‖² / ‖x‖² per real irreducible component of \(r.group).",
                svg: sharesPanel(id: id, title: "neuron \(p.index): power per irrep", profile: p, roles: r.roles, labels: r.components,
                                 x0: 72, width: 640, totalWidth: 720, xLabel: "irrep", open: true))
        }
    }

    static let height = 340.0, top = 40.0, bottom = 56.0
    static var plotHeight: Double { height - top - bottom }
    static func y(_ t: Double) -> Double { top + (1 - t) * plotHeight }
    static func num(_ v: Double) -> String { SVGPlot.num(v) }

    static func header(id: String, title: String, width: Double) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" id="\(SVGPlot.esc(id))" class="plot neuron-panel" viewBox="0 0 \(Int(width)) \(Int(height))" width="\(Int(width))" height="\(Int(height))" font-family="Helvetica, Arial, sans-serif" font-size="12" role="img" aria-label="\(SVGPlot.esc(title))">
        <rect x="0" y="0" width="\(Int(width))" height="\(Int(height))" fill="white"/>
        <text x="\(num(width / 2))" y="22" text-anchor="middle" font-size="15" font-weight="bold">\(SVGPlot.esc(title))</text>

        """
    }

    /// Axes of a sub-panel starting at `x0`, `width` wide (SVGPlot's axes in that frame).
    static func axes(x0: Double, width: Double, xLabel: String, yLabel: String, xTicks: [(Double, String)], yTicks: [(Double, String)]) -> String {
        let frame = SVGPlot.Frame(width: x0 + width + 24, height: height, left: x0, right: 24, top: top, bottom: bottom)
        return SVGPlot.axes(frame, xLabel: xLabel, yLabel: yLabel, xTicks: xTicks, yTicks: yTicks)
    }

    /// A one-line legend above the plot, starting at `x`.
    static func legend(x: Double, roles: [String]) -> String {
        var s = "<g class=\"legend\">\n"
        for (i, role) in roles.enumerated() {
            let xx = x + Double(i) * 56, yy = 12.0
            s += "<rect x=\"\(num(xx))\" y=\"\(num(yy))\" width=\"12\" height=\"12\" fill=\"\(SVGPlot.palette[i % SVGPlot.palette.count])\"/>"
            s += "<text x=\"\(num(xx + 17))\" y=\"\(num(yy + 10))\">\(SVGPlot.esc(role))</text>\n"
        }
        return s + "</g>\n"
    }

    /// Weights over C_n (dots and interpolation) on the left, power shares per frequency on the right.
    static func cyclicPanel(id: String, title: String, profile p: NeuronProfileRecord, roles: [String], labels: [String]) -> String {
        let n = roles.compactMap { p.values[$0]?.count }.max() ?? 0
        let left = 72.0, leftWidth = 500.0
        let grid = (0...(max(n - 1, 0) * oversampling)).map { Double($0) / Double(oversampling) }
        let curves = roles.map { role in interpolate(p.values[role] ?? [], at: grid) }
        var largest = 0.0
        for xs in roles.map({ p.values[$0] ?? [] }) + curves { for x in xs where x.isFinite { largest = Swift.max(largest, Swift.abs(x)) } }
        let extent: Double = (largest > 0 ? largest : 1) * 1.05
        func yv(_ v: Double) -> Double { y((v + extent) / (2 * extent)) }
        func xv(_ t: Double) -> Double { left + (n > 1 ? t / Double(n - 1) : 0.5) * leftWidth }
        var s = header(id: id, title: title, width: 1000)
        let xTicks = SVGPlot.ticks(0, Double(max(n - 1, 1))).map { ($0 / Double(max(n - 1, 1)), SVGPlot.tickLabel($0)) }
        let yTicks = SVGPlot.ticks(-extent, extent).map { (($0 + extent) / (2 * extent), SVGPlot.tickLabel($0)) }
        s += axes(x0: left, width: leftWidth, xLabel: "element a of C_\(n)", yLabel: "weight", xTicks: xTicks, yTicks: yTicks)
        for (r, role) in roles.enumerated() {
            let colour = SVGPlot.palette[r % SVGPlot.palette.count]
            let pts = zip(grid, curves[r]).filter { $0.1.isFinite }.map { "\(num(xv($0.0))),\(num(yv($0.1)))" }
            s += "<polyline class=\"interpolation\" data-role=\"\(SVGPlot.esc(role))\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.2\" stroke-opacity=\"0.8\" points=\"\(pts.joined(separator: " "))\"/>\n"
            s += "<g class=\"dots\" data-role=\"\(SVGPlot.esc(role))\" fill=\"\(colour)\">\n"
            for (a, v) in (p.values[role] ?? []).enumerated() where v.isFinite {
                s += "<circle cx=\"\(num(xv(Double(a))))\" cy=\"\(num(yv(v)))\" r=\"2.6\" data-element=\"\(a)\" data-value=\"\(v)\"><title>\(SVGPlot.esc(role))[\(a)] = \(String(format: "%.4g", v))</title></circle>"
            }
            s += "\n</g>\n"
        }
        s += legend(x: left, roles: roles)
        s += sharesPanel(id: id, title: title, profile: p, roles: roles, labels: labels, x0: 640, width: 340, totalWidth: 1000,
                         xLabel: "frequency", open: false)
        return s + "</svg>\n"
    }

    /// Grouped bars: the share of each role's power on each component. `open` makes it a whole SVG.
    static func sharesPanel(id: String, title: String, profile p: NeuronProfileRecord, roles: [String], labels: [String],
                            x0: Double, width: Double, totalWidth: Double, xLabel: String, open: Bool) -> String {
        var s = open ? header(id: id, title: title, width: totalWidth) : ""
        let nc = max(labels.count, 1)
        let every = max(1, nc / 12)
        let xTicks = labels.indices.filter { $0 % every == 0 }.map { ((Double($0) + 0.5) / Double(nc), labels[$0]) }
        let yTicks = SVGPlot.ticks(0, 1).map { ($0, SVGPlot.tickLabel($0)) }
        s += axes(x0: x0, width: width, xLabel: xLabel, yLabel: "share of the role's power", xTicks: xTicks, yTicks: yTicks)
        let slot = width / Double(nc), bar = slot / Double(max(roles.count, 1))
        for (r, role) in roles.enumerated() {
            let power = p.power[role] ?? []
            let total = power.filter(\.isFinite).reduce(0, +)
            s += "<g class=\"shares\" data-role=\"\(SVGPlot.esc(role))\" fill=\"\(SVGPlot.palette[r % SVGPlot.palette.count])\">\n"
            for (c, v) in power.enumerated() where c < labels.count {
                let share = total > 0 && v.isFinite ? v / total : 0
                let xa = x0 + Double(c) * slot + Double(r) * bar
                s += "<rect x=\"\(num(xa))\" y=\"\(num(y(share)))\" width=\"\(num(max(bar - 0.3, 0.4)))\" height=\"\(num(y(0) - y(share)))\" data-component=\"\(SVGPlot.esc(labels[c]))\" data-share=\"\(share)\"><title>\(SVGPlot.esc(role)), \(SVGPlot.esc(labels[c])): \(String(format: "%.3f", share))</title></rect>"
            }
            s += "\n</g>\n"
        }
        if open { s += legend(x: x0, roles: roles) + "</svg>\n" }
        return s
    }
}
