import Analysis
import Checkpoints
import Foundation
import JSONOutput

/// One line of results.jsonl: the outcome of one checkpoint of a batch (README, "Whole training runs").
/// Lines are written with sorted keys, so a run and the merge of its shards write the same
/// bytes. Files written before the schema version existed decode the same way.
public struct BatchRecord: Codable, Equatable, Sendable {
    public var schemaVersion: Int?
    /// Stable identifier: the path, or `path#index` for an entry of a list of checkpoints.
    public var source: String
    /// The run the checkpoint belongs to (its directory, list file or file of checkpoints).
    public var run: String?
    public var step: Double?
    public var ok: Bool
    public var error: String?
    // Group tasks.
    public var group: String?
    // Parity: "parity".
    public var task: String?
    public var width: Int?
    public var accuracy: Double?
    public var normalizedMargin: Double?
    public var theoreticalMax: Double?
    public var marginRatio: Double?
    public var fractionUAtLeast090: Double?
    public var fractionVAtLeast090: Double?
    public var fractionWAtLeast090: Double?
    public var fractionUAtLeast099: Double?
    public var meanMaxPowerU: Double?
    /// Number of non-trivial components some neuron uses (by dominance).
    public var componentsUsed: Int?
    public var componentsUnused: [String]?
    /// Neurons per non-trivial component by dominance (the analysis's `neurons_per_component`),
    /// the components some neuron uses only; written with its labels in natural order
    /// (`naturallyOrdered`: numbers compared as numbers, so 2 before 10 and E3 before E11).
    public var neuronsPerComponent: [String: Int]?
    public var histogramEdges: [Double]?
    public var histogramU: [Int]?
    public var histogramW: [Int]?
    public var fractionSupportMass090: Double?
    /// Function-level attribution (docs/attribution.md): the key components (integers for
    /// frequencies, strings for irreps), and the network's, restricted and excluded losses.
    public var keyComponents: [ComponentLabel]?
    public var loss: Double?
    public var restrictedLoss: Double?
    public var excludedLoss: Double?
    /// The same three losses on the given pairs (`--pairs`, e.g. the training pairs; nil
    /// without): the progress-measures paper reads its excluded loss on the training pairs.
    public var lossOnPairs: Double?
    public var restrictedLossOnPairs: Double?
    public var excludedLossOnPairs: Double?
    /// The network's loss on the pairs `--pairs` leaves out (the test loss when it lists the
    /// training pairs).
    public var lossOnOtherPairs: Double?
    /// Transformers only (docs/networks.md §6), absent from other lines: the key components of
    /// W_E's group rows (the fewest non-trivial components, largest first, holding 90% of the
    /// embedding's non-trivial power; integers for frequencies, strings for irreps), the mean
    /// cross-entropy of the forward pass over all pairs (group outputs, with or without the
    /// attribution), and per head of the last block the mean attention of the last position to
    /// a and to b over all pairs.
    public var embeddingKeyComponents: [ComponentLabel]?
    public var transformerLoss: Double?
    public var headAttentionToA: [Double]?
    public var headAttentionToB: [Double]?

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", source, run, step, ok, error, group, task, width, accuracy
        case normalizedMargin = "normalized_margin", theoreticalMax = "theoretical_max", marginRatio = "margin_ratio"
        case fractionUAtLeast090 = "fraction_u_ge_0_9", fractionVAtLeast090 = "fraction_v_ge_0_9"
        case fractionWAtLeast090 = "fraction_w_ge_0_9", fractionUAtLeast099 = "fraction_u_ge_0_99"
        case meanMaxPowerU = "mean_max_power_u", componentsUsed = "components_used", componentsUnused = "components_unused"
        case neuronsPerComponent = "neurons_per_component"
        case histogramEdges = "histogram_edges", histogramU = "histogram_u", histogramW = "histogram_w"
        case fractionSupportMass090 = "fraction_support_mass_ge_0_9"
        case keyComponents = "key_components", loss, restrictedLoss = "restricted_loss", excludedLoss = "excluded_loss"
        case lossOnPairs = "loss_on_pairs", restrictedLossOnPairs = "restricted_loss_on_pairs", excludedLossOnPairs = "excluded_loss_on_pairs"
        case lossOnOtherPairs = "loss_on_other_pairs"
        case embeddingKeyComponents = "embedding_key_components", transformerLoss = "transformer_loss"
        case headAttentionToA = "head_attention_to_a", headAttentionToB = "head_attention_to_b"
    }

    public init(source: String, run: String?, step: Double?) {
        schemaVersion = recordSchemaVersion
        self.source = source; self.run = run; self.step = step; ok = false
    }

    /// The record of a finished analysis.
    public init(source: String, run: String?, step: Double?, result: AnalysisResult) {
        self.init(source: source, run: run, step: step)
        ok = true
        switch result {
        case .group(let a, _):
            group = a.groupName
            width = a.width
            accuracy = a.accuracy
            normalizedMargin = a.normalizedMargin
            theoreticalMax = a.bound.value
            marginRatio = a.marginRatio
            let u = a.distribution("u"), v = a.distribution("v"), w = a.distribution("w")
            fractionUAtLeast090 = u?.statistics.fractionAtLeast090
            fractionVAtLeast090 = v?.statistics.fractionAtLeast090
            fractionWAtLeast090 = w?.statistics.fractionAtLeast090
            fractionUAtLeast099 = u?.statistics.fractionAtLeast099
            meanMaxPowerU = u?.statistics.mean
            componentsUsed = a.neuronsPerComponent.enumerated().filter { $0.offset != 0 && $0.element > 0 }.count
            componentsUnused = a.unusedComponents.map { a.componentLabels[$0] }
            var per: [String: Int] = [:]
            for (c, n) in a.neuronsPerComponent.enumerated() where c != 0 && n > 0 { per[a.componentLabels[c]] = n }
            neuronsPerComponent = per
            histogramEdges = u?.histogram.edges
            histogramU = u?.histogram.counts
            histogramW = w?.histogram.counts
            if let t = a.attribution {
                let label = ComponentLabel.labeller(cyclic: a.isCyclic, labels: a.componentLabels)
                keyComponents = t.keyComponents.map(label)
                loss = t.loss.isFinite ? t.loss : nil
                restrictedLoss = t.restrictedLoss.isFinite ? t.restrictedLoss : nil
                excludedLoss = t.excludedLoss.isFinite ? t.excludedLoss : nil
                if let p = t.onPairs {
                    lossOnPairs = p.loss.isFinite ? p.loss : nil
                    restrictedLossOnPairs = p.restrictedLoss.isFinite ? p.restrictedLoss : nil
                    excludedLossOnPairs = p.excludedLoss.isFinite ? p.excludedLoss : nil
                }
                if let o = t.otherPairs, o.loss.isFinite { lossOnOtherPairs = o.loss }
            }
            if let t = a.transformer {
                let emb = t.embedding
                embeddingKeyComponents = emb.map { e in
                    e.key.map { label in a.isCyclic ? ComponentLabel.frequency(e.labels.firstIndex(of: label)!) : .irrep(label) }
                } ?? []
                transformerLoss = t.loss.flatMap { $0.isFinite ? $0 : nil }
                headAttentionToA = t.headAttention.map(\.toAMean)
                headAttentionToB = t.headAttention.map(\.toBMean)
            }
        case .parity(let a, _):
            task = "parity"
            width = a.width
            accuracy = a.accuracy
            normalizedMargin = a.normalizedMargin
            theoreticalMax = a.bound.value
            marginRatio = a.marginRatio
            fractionSupportMass090 = a.fractionSupportMass090
        }
    }

    public var isGroup: Bool { ok && task != "parity" }

    /// A transformer's line (it carries the transformer fields; other lines do not).
    public var isTransformer: Bool {
        embeddingKeyComponents != nil || transformerLoss != nil || headAttentionToA != nil || headAttentionToB != nil
    }

    /// The file of the source (`path` of `path#i`).
    public var path: String { source.components(separatedBy: "#").first ?? source }

    /// The line as results.jsonl holds it: one JSON object with sorted keys, a newline. The
    /// fields of the record's kind are always written (null when undefined).
    public func jsonLine() -> [UInt8] {
        enum V { case d(Double?), i(Int?), s(String?), b(Bool), ds([Double]?), ins([Int]?), ss([String]?), ls([ComponentLabel]?), counts([String: Int]?) }
        var fields: [(String, V)] = [("source", .s(source)), ("ok", .b(ok)), ("step", .d(step)), ("schema_version", .i(schemaVersion))]
        if let run { fields.append(("run", .s(run))) }
        if !ok {
            fields.append(("error", .s(error)))
        } else if task == "parity" {
            fields += [("task", .s(task)), ("width", .i(width)), ("accuracy", .d(accuracy)), ("normalized_margin", .d(normalizedMargin)),
                       ("theoretical_max", .d(theoreticalMax)), ("margin_ratio", .d(marginRatio)),
                       ("fraction_support_mass_ge_0_9", .d(fractionSupportMass090))]
        } else {
            fields += [("group", .s(group)), ("width", .i(width)), ("accuracy", .d(accuracy)), ("normalized_margin", .d(normalizedMargin)),
                       ("theoretical_max", .d(theoreticalMax)), ("margin_ratio", .d(marginRatio)),
                       ("fraction_u_ge_0_9", .d(fractionUAtLeast090)), ("fraction_v_ge_0_9", .d(fractionVAtLeast090)),
                       ("fraction_w_ge_0_9", .d(fractionWAtLeast090)), ("fraction_u_ge_0_99", .d(fractionUAtLeast099)),
                       ("mean_max_power_u", .d(meanMaxPowerU)), ("components_used", .i(componentsUsed)),
                       ("components_unused", .ss(componentsUnused)), ("neurons_per_component", .counts(neuronsPerComponent)),
                       ("histogram_edges", .ds(histogramEdges)),
                       ("histogram_u", .ins(histogramU)), ("histogram_w", .ins(histogramW)),
                       ("key_components", .ls(keyComponents)), ("loss", .d(loss)), ("restricted_loss", .d(restrictedLoss)),
                       ("excluded_loss", .d(excludedLoss)), ("loss_on_pairs", .d(lossOnPairs)),
                       ("restricted_loss_on_pairs", .d(restrictedLossOnPairs)), ("excluded_loss_on_pairs", .d(excludedLossOnPairs)),
                       ("loss_on_other_pairs", .d(lossOnOtherPairs))]
            if isTransformer {
                fields += [("embedding_key_components", .ls(embeddingKeyComponents)), ("transformer_loss", .d(transformerLoss)),
                           ("head_attention_to_a", .ds(headAttentionToA)), ("head_attention_to_b", .ds(headAttentionToB))]
            }
        }
        let sink = ByteSink(collecting: ())
        let j = JSONWriter(sink: sink)
        j.beginObject()
        for (k, v) in fields.sorted(by: { $0.0 < $1.0 }) {
            j.key(k)
            switch v {
            case .d(let x): j.value(x)
            case .i(let x): j.value(x)
            case .s(let x): j.value(x)
            case .b(let x): j.value(x)
            case .ds(let x): if let x { j.array(x) } else { j.null() }
            case .ins(let x): if let x { j.array(x) } else { j.null() }
            case .ss(let x): if let x { j.beginArray(); for s in x { j.value(s) }; j.endArray() } else { j.null() }
            case .counts(let x):
                if let x {
                    j.beginObject()
                    for k in x.keys.sorted(by: naturallyOrdered) { j.key(k); j.value(x[k]!) }
                    j.endObject()
                } else { j.null() }
            case .ls(let x):
                if let x {
                    j.beginArray()
                    for l in x { switch l { case .frequency(let k): j.value(k); case .irrep(let s): j.value(s) } }
                    j.endArray()
                } else { j.null() }
            }
        }
        j.endObject()
        sink.write("\n")
        return sink.buffer
    }
}

/// results.jsonl: reading, ordering and writing.
public enum BatchResults {
    /// The records of a results file by source (a later line wins); a torn or unreadable line
    /// (a killed run) is skipped and reported through `note`, and that checkpoint is redone.
    public static func read(_ path: String, note: ((String) -> Void)? = nil) throws -> [String: BatchRecord] {
        guard FileManager.default.fileExists(atPath: path) else { return [:] }
        let text: String
        if let why = ByteSource.unreadableReason(path: path) { throw AnalysisError("\(path): \(why)") }
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw AnalysisError("\(path): cannot read: \(error.localizedDescription)")
        }
        var out: [String: BatchRecord] = [:]
        let decoder = JSONDecoder()
        for (n, l) in text.split(separator: "\n").enumerated() where !l.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let r = try? decoder.decode(BatchRecord.self, from: Data(l.utf8)) else {
                note?("\(path):\(n + 1): skipping an unreadable line")
                continue
            }
            out[r.source] = r
        }
        return out
    }

    /// Ordered by step, then source; records without a step last.
    public static func sorted(_ records: [BatchRecord]) -> [BatchRecord] {
        records.sorted { a, b in
            let sa = a.step ?? .infinity, sb = b.step ?? .infinity
            if sa != sb { return sa < sb }
            return a.source < b.source
        }
    }

    /// Writes the records (atomically: a reader never sees a half-written file).
    public static func write(_ records: [BatchRecord], to path: String) throws {
        var data = Data()
        for r in records { data.append(contentsOf: r.jsonLine()) }
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// Natural order of labels and names: runs of digits compare as numbers ("2" < "10",
/// "E3" < "E11", "run-2" < "run-10"), everything else by Unicode scalars; equal-reading names
/// ("E03", "E3") fall back to plain string order, so the order is total and the same on
/// every machine (no locale).
public func naturallyOrdered(_ a: String, _ b: String) -> Bool {
    let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
    var i = 0, j = 0
    func isDigit(_ c: Unicode.Scalar) -> Bool { c.value >= 48 && c.value <= 57 }
    while i < x.count && j < y.count {
        if isDigit(x[i]) && isDigit(y[j]) {
            var i1 = i, j1 = j
            while i1 < x.count && isDigit(x[i1]) { i1 += 1 }
            while j1 < y.count && isDigit(y[j1]) { j1 += 1 }
            // Compare the digit runs as numbers without converting (any length): strip leading
            // zeros, then the longer is larger, then digit by digit.
            var p = i, q = j
            while p < i1 - 1 && x[p] == "0" { p += 1 }
            while q < j1 - 1 && y[q] == "0" { q += 1 }
            if i1 - p != j1 - q { return i1 - p < j1 - q }
            while p < i1 { if x[p] != y[q] { return x[p].value < y[q].value }; p += 1; q += 1 }
            i = i1; j = j1
        } else {
            if x[i] != y[j] { return x[i].value < y[j].value }
            i += 1; j += 1
        }
    }
    if (x.count - i) != (y.count - j) { return x.count - i < y.count - j }
    return a < b
}
