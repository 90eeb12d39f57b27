import Foundation

/// Builds reports from the JSON that `irrepscope analyze` writes (report.json) and from the
/// per-checkpoint lines of `irrepscope batch` (results.jsonl). Working from the saved JSON
/// means every plot shows exactly the numbers in the file next to it.
public enum AnalysisReport {
    typealias Object = [String: Any]

    static func double(_ v: Any?) -> Double? { (v as? NSNumber)?.doubleValue ?? (v as? Double) }
    static func int(_ v: Any?) -> Int? { (v as? NSNumber)?.intValue ?? (v as? Int) }
    static func fmt(_ v: Double?, _ digits: Int = 4) -> String { v.map { String(format: "%.\(digits)g", $0) } ?? "—" }
    static func pct(_ v: Double?) -> String { v.map { String(format: "%.1f%%", $0 * 100) } ?? "—" }
    static func label(_ v: Any?) -> String? {
        if let s = v as? String { return s }
        if let n = v as? NSNumber { return n.stringValue }
        return nil
    }

    /// A report for one analysis (a parsed report.json). `initial`, when given, is the
    /// analysis of the same network at initialization, drawn next to the final histograms.
    public static func single(_ r: [String: Any], initial: [String: Any]? = nil) -> Report {
        if r["task"] as? String == "parity" { return parity(r) }
        let summary = r["summary"] as? Object ?? [:]
        let margin = summary["margin"] as? Object ?? [:]
        let group = r["group"] as? String ?? "?"
        let kind = r["component_kind"] as? String ?? "component"
        var rows: [(String, String)] = [
            ("checkpoint", r["file"] as? String ?? ""),
            ("group", "\(group) (order \(int(r["order"]) ?? 0))"),
            ("neurons", String(int(r["width"]) ?? 0)),
            ("activation", r["activation"] as? String ?? ""),
            ("accuracy", pct(double(summary["accuracy"]))),
            ("normalized margin", fmt(double(margin["normalized"]))),
        ]
        if let g = double(margin["theoretical_max"]) {
            rows.append(("theoretical maximum γ*", "\(fmt(g)) (\(margin["theorem"] as? String ?? ""))"))
            rows.append(("margin / γ*", fmt(double(margin["ratio"]))))
        } else {
            rows.append(("theoretical maximum γ*", "not quoted: \(margin["no_theoretical_max_because"] as? String ?? "")"))
        }
        let hists = summary["histograms"] as? Object ?? [:]
        for role in ["u", "v", "w"] {
            let h = hists[role] as? Object ?? [:]
            rows.append(("\(role): neurons with max normalized power ≥ 0.9", pct(double(h["fraction_ge_0_9"]))))
        }
        rows.append(("u, v, w agree on one \(kind)", pct(double(summary["fraction_agree"]))))
        let unused = (summary["components_unused"] as? [Any] ?? []).compactMap(label)
        rows.append(("\(kind == "frequency" ? "frequencies" : kind + "s") never used", unused.isEmpty ? "none" : unused.joined(separator: ", ")))
        var notes: [String] = []
        if let other = summary["other_composition"] as? Object, other["fits_better"] as? Bool == true {
            notes.append("The other composition convention (\(other["composition"] as? String ?? "")) fits the labels better: accuracy \(pct(double(other["accuracy"]))).")
        }
        var figures: [Report.Figure] = []
        // Max normalized power histograms, initial vs final when given.
        for role in ["u", "v", "w"] {
            guard let h = hists[role] as? Object, let edges = (h["edges"] as? [Any])?.compactMap(double),
                  let counts = (h["counts"] as? [Any])?.compactMap(int) else { continue }
            var series: [(name: String, counts: [Int])] = []
            if let ih = ((initial?["summary"] as? Object)?["histograms"] as? Object)?[role] as? Object,
               let ic = (ih["counts"] as? [Any])?.compactMap(int), ic.count == counts.count {
                series.append(("initial", ic))
            }
            series.append((initial == nil ? "neurons" : "final", counts))
            figures.append(.init(id: "histogram-\(role)",
                                 caption: "Max normalized power of each neuron's \(role) (trivial component excluded), \(edges.count - 1) bins on [0, 1]; the paper's Fig. 4 shows it spread out at initialization and near 1 after training with the quadratic activation.",
                                 svg: SVGPlot.histogram(id: "histogram-\(role)", title: "\(role): max normalized power", edges: edges, series: series)))
        }
        // Neurons per component.
        let labels = (r["components"] as? [Any] ?? []).compactMap(label)
        if let per = summary["neurons_per_component"] as? Object {
            let shown = labels.enumerated().filter { $0.offset != 0 || (int(per[$0.element]) ?? 0) > 0 }
            let counts = shown.map { int(per[$0.element]) ?? 0 }
            let marked = Set(shown.enumerated().filter { unused.contains($0.element.element) }.map(\.offset))
            figures.append(.init(id: "components", caption: "Neurons per \(kind) (each neuron counted once, by the \(kind) with the largest share of its u, v, w power); hatched: never used.",
                                 svg: SVGPlot.bars(id: "components", title: "neurons per \(kind)", labels: shown.map(\.element),
                                                   counts: counts, marked: marked, xLabel: kind)))
        }
        // Heatmap of u's top shares, neurons sorted by dominant component.
        let neurons = r["neurons"] as? [Object] ?? []
        if !labels.isEmpty && !neurons.isEmpty {
            let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($0.element, $0.offset) })
            var rows2: [(Int, [Double])] = []
            for n in neurons {
                var row = [Double](repeating: 0, count: labels.count)
                for t in (n["u"] as? Object)?["top"] as? [Object] ?? [] {
                    if let l = label(t["component"]), let c = index[l] { row[c] = double(t["share"]) ?? 0 }
                }
                let dom = label((n["u"] as? Object)?["dominant"]).flatMap { index[$0] } ?? Int.max
                rows2.append((dom, row))
            }
            rows2.sort { $0.0 < $1.0 }
            figures.append(.init(id: "spectra", caption: "Each neuron's u: shares of its largest components (as listed in report.json's top shares), neurons sorted by dominant \(kind).",
                                 svg: SVGPlot.heatmap(id: "spectra", title: "per-neuron spectra of u", rows: rows2.map(\.1), columnLabels: labels, xLabel: kind)))
        }
        // Phase relation for cyclic groups.
        if kind == "frequency" {
            let res = neurons.compactMap { n -> (Double, Double)? in
                guard let r = double(n["phase_residual"]), let p = double((n["w"] as? Object)?["max_normalized_power"]) else { return nil }
                return (r, p)
            }
            if !res.isEmpty {
                figures.append(.init(id: "phases", caption: "Phase residual θ_u + θ_v − θ_w (mod 2π) of each neuron whose u, v, w share a frequency, against w's max normalized power; Theorem 7 predicts 0.",
                                     svg: SVGPlot.scatter(id: "phases", title: "phase relation θu + θv − θw", points: res,
                                                          xRange: -Double.pi...Double.pi, yRange: 0...1,
                                                          xLabel: "θu + θv − θw (radians)", yLabel: "w max normalized power")))
            }
        }
        return Report(title: "IrrepScope: \(group)", subtitle: r["file"] as? String ?? "", summary: rows, notes: notes, figures: figures)
    }

    static func parity(_ r: [String: Any]) -> Report {
        let summary = r["summary"] as? Object ?? [:]
        let margin = summary["margin"] as? Object ?? [:]
        let rows: [(String, String)] = [
            ("checkpoint", r["file"] as? String ?? ""),
            ("task", "(\(int(r["n"]) ?? 0), \(int(r["k"]) ?? 0))-sparse parity"),
            ("support", "\((r["support"] as? [Any] ?? []).compactMap(int))\(r["support_inferred"] as? Bool == true ? " (inferred)" : "")"),
            ("accuracy", pct(double(summary["accuracy"]))),
            ("normalized margin", fmt(double(margin["normalized"]))),
            ("γ*", fmt(double(margin["theoretical_max"]))),
            ("margin / γ*", fmt(double(margin["ratio"]))),
            ("neurons with ≥ 90% of ‖u‖² on S", pct(double(summary["fraction_support_mass_ge_0_9"]))),
            ("sign condition holds", pct(double(summary["fraction_sign_condition"]))),
        ]
        let neurons = r["neurons"] as? [Object] ?? []
        let masses: [Double?] = neurons.map { double($0["support_mass"]) }
        let edges = (0...20).map { Double($0) / 20 }
        var counts = [Int](repeating: 0, count: 20)
        for m in masses.compactMap({ $0 }) { counts[min(Int(m * 20), 19)] += 1 }
        let fig = Report.Figure(id: "support-mass", caption: "Share of each neuron's ‖u‖² on the support S; Theorem 8 predicts 1.",
                                svg: SVGPlot.histogram(id: "support-mass", title: "mass on the support", edges: edges,
                                                       series: [("neurons", counts)], xLabel: "share of ‖u‖² on S"))
        return Report(title: "IrrepScope: sparse parity", subtitle: r["file"] as? String ?? "", summary: rows, figures: [fig])
    }

    /// A trajectory report over a training run: one parsed results.jsonl line per checkpoint
    /// (failed ones are listed, not plotted), ordered by step.
    public static func trajectory(_ lines: [[String: Any]], title: String) -> Report {
        let good = lines.filter { $0["ok"] as? Bool == true }
        let failed = lines.filter { $0["ok"] as? Bool != true }
        let steps = good.enumerated().map { double($0.element["step"]) ?? Double($0.offset) }
        func series(_ key: String) -> [Double] { good.map { double($0[key]) ?? .nan } }
        var figures: [Report.Figure] = []
        figures.append(.init(id: "trajectory-margin", caption: "Normalized margin h(θ)/‖θ‖^ν against the training step, with γ* (THEORY.md §3) dashed when quoted.",
                             svg: SVGPlot.lines(id: "trajectory-margin", title: "normalized margin", series: [("normalized margin", steps, series("normalized_margin"))],
                                                xLabel: "step", yLabel: "normalized margin",
                                                reference: good.compactMap { double($0["theoretical_max"]) }.first.map { ($0, "γ*") })))
        figures.append(.init(id: "trajectory-ratio", caption: "Normalized margin / γ*.",
                             svg: SVGPlot.lines(id: "trajectory-ratio", title: "margin / γ*", series: [("margin / γ*", steps, series("margin_ratio"))],
                                                xLabel: "step", yLabel: "ratio", reference: (1, "γ*"))))
        figures.append(.init(id: "trajectory-sparsity", caption: "Fraction of neurons whose max normalized power is ≥ 0.9 (u, v, w), and accuracy on the whole population.",
                             svg: SVGPlot.lines(id: "trajectory-sparsity", title: "sparsity and accuracy",
                                                series: [("u ≥ 0.9", steps, series("fraction_u_ge_0_9")), ("v ≥ 0.9", steps, series("fraction_v_ge_0_9")),
                                                         ("w ≥ 0.9", steps, series("fraction_w_ge_0_9")), ("accuracy", steps, series("accuracy"))],
                                                xLabel: "step", yLabel: "fraction")))
        figures.append(.init(id: "trajectory-components", caption: "Number of non-trivial components used by at least one neuron.",
                             svg: SVGPlot.lines(id: "trajectory-components", title: "components used", series: [("components used", steps, series("components_used"))],
                                                xLabel: "step", yLabel: "components")))
        figures.append(.init(id: "trajectory-mean-power", caption: "Mean max normalized power of u over neurons.",
                             svg: SVGPlot.lines(id: "trajectory-mean-power", title: "mean max normalized power (u)", series: [("mean (u)", steps, series("mean_max_power_u"))],
                                                xLabel: "step", yLabel: "mean max normalized power")))
        if let first = good.first, let last = good.last,
           let edges = (first["histogram_edges"] as? [Any])?.compactMap(double),
           let c0 = (first["histogram_u"] as? [Any])?.compactMap(int), let c1 = (last["histogram_u"] as? [Any])?.compactMap(int) {
            figures.insert(.init(id: "histogram-u", caption: "Max normalized power of u at the first and the last checkpoint of the run.",
                                 svg: SVGPlot.histogram(id: "histogram-u", title: "u: first vs last checkpoint", edges: edges,
                                                        series: [("step \(Int(steps.first ?? 0))", c0), ("step \(Int(steps.last ?? 0))", c1)])), at: 0)
        }
        var rows: [(String, String)] = [("checkpoints", "\(lines.count) (\(good.count) analyzed, \(failed.count) failed)")]
        if let last = good.last {
            rows.append(("last step", fmt(double(last["step"]), 8)))
            rows.append(("last accuracy", pct(double(last["accuracy"]))))
            rows.append(("last margin / γ*", fmt(double(last["margin_ratio"]))))
        }
        let notes = failed.map { "failed: \($0["source"] as? String ?? "?"): \($0["error"] as? String ?? "")" }
        return Report(title: title, subtitle: "training trajectory", summary: rows, notes: notes, figures: figures)
    }
}
