import Checkpoints
import Foundation
import Fourier
import Groups
import NeuronData

/// Transformers trained on group tasks (docs/networks.md §6): the progress-measures code's
/// layout (`embed.W_E` stored (d_model, vocab), heads (h, e, d), `W_O` (d, h·e), no
/// LayerNorm) and TransformerLens `HookedTransformer` state_dicts (`embed.W_E` (vocab, d),
/// heads (h, d, e) with biases, `W_O` (h, e, d), optional `ln1`/`ln2`/`ln_final`), any number
/// of blocks `blocks.N.`, under any prefix (`model.`, `module.`, `state_dict.` …). Input
/// [a, b, =] with the `=` token id |G| (`AnalysisRequest.equalsToken`, `twoTokenInput`); the
/// prediction at the last position over the outputs of the |G| group elements. ReLU unless
/// the request or the checkpoint's config (`act_fn`) says otherwise.
public struct TransformerFamily: NetworkFamily {
    public init() {}
    public var name: String { "transformer" }
    public func serves(_ task: AnalysisTask) -> Bool { task.isGroupTask }

    /// The two layouts of docs/networks.md §6.
    public enum Layout: String, Sendable, Codable {
        case progressMeasures = "progress-measures"
        case transformerLens = "TransformerLens"
    }

    public func analyze(_ checkpoint: Checkpoint, request: AnalysisRequest, group: FiniteGroup?) throws -> AnalysisResult {
        guard case .group(let groupName) = request.task, let g = group else {
            throw FamilyRejection(family: name, reason: "not a group task")
        }
        let found = try Self.load(checkpoint, order: g.order, request: request)
        var net = found.network
        var rowOfElement: [Int]?, orderSource: String?
        if request.inferElementOrder {
            // `--elements infer`: the predictions of the network in file order (docs/groups-from-data.md §4).
            rowOfElement = try ElementOrder.inferredRowOfElement(network: net, group: g, path: checkpoint.path)
            orderSource = "the network's own predictions (--elements infer)"
        } else {
            (rowOfElement, orderSource) = try ElementOrder.rowOfElement(request, group: g, checkpoint: checkpoint)
        }
        if let rowOfElement {
            net = TransformerNetwork(order: g.order, weights: net.weights, activation: net.activation, tokenOfElement: rowOfElement,
                                     equalsToken: net.equalsToken)
        }
        var layout = found.layout
        layout.elementOrder = orderSource
        var analysis = GroupAnalysis.run(network: net, group: g, groupName: groupName, options: GroupAnalysisOptions(request.pairsInElementOrder(rowOfElement: rowOfElement)))
        var summary = found.summary
        // The loss and the head attention come from the analysis' own pass over all pairs:
        // `evaluate` records both, a pass through `forward(rows:activations:)` the attention,
        // and the attribution's loss is the same mean cross-entropy (first labeling, group
        // outputs). Should no pass have covered every pair, one more pass measures them.
        summary.loss = net.statistics.loss ?? analysis.attribution?.loss
        if summary.loss == nil || net.statistics.headAttention.isEmpty {
            let labels = Labelling(group: g, composition: request.composition, bothConventions: false).labels
            _ = net.evaluate(threads: request.threads, labels: labels, sets: 1)
            summary.loss = summary.loss ?? net.statistics.loss
        }
        summary.headAttention = net.statistics.headAttention.enumerated().map {
            HeadAttention(head: $0.offset, toAMean: $0.element.toA.mean, toASD: $0.element.toA.sd,
                          toBMean: $0.element.toB.mean, toBSD: $0.element.toB.sd)
        }
        summary.embedding = Self.spectrum(net.weights.embed, rows: net.tokenOfElement, width: net.weights.dModel, group: g)
        var wu = [Double](repeating: 0, count: g.order * net.weights.dModel)
        for c in 0..<g.order { for k in 0..<net.weights.dModel { wu[c * net.weights.dModel + k] = net.weights.unembed[k * net.weights.outputs + net.tokenOfElement[c]] } }
        summary.unembedding = Self.spectrum(wu, rows: Array(0..<g.order), width: net.weights.dModel, group: g)
        analysis.transformer = summary
        return .group(analysis, layout)
    }

    /// The network, its layout and the description of what was read.
    public static func load(_ ck: Checkpoint, order n: Int, request: AnalysisRequest) throws
        -> (network: TransformerNetwork, layout: NetworkLayout, summary: TransformerSummary) {
        let family = "transformer"
        // The prefix: the tensor `P + "embed.W_E"` with P empty or ending in '.'.
        guard let we = ck.tensors.first(where: { $0.name == "embed.W_E" || $0.name.hasSuffix(".embed.W_E") }) else {
            throw FamilyRejection(family: family, reason: "no tensor embed.W_E")
        }
        let prefix = String(we.name.dropLast("embed.W_E".count))
        var used: [TensorRole] = []
        var usedNames = Set<String>()
        func find(_ key: String) -> Tensor? { ck.tensors.first { $0.name == prefix + key } }
        func fail(_ message: String) -> LayoutError { LayoutError(path: ck.path, message: "transformer (\(prefix)embed.W_E): " + message) }
        func read(_ t: Tensor, _ shape: [Int], _ use: String) throws -> [Double] {
            guard t.shape == shape else { throw fail("\(t.name) has shape \(t.shape), expected \(shape)") }
            guard t.dtype.isFloatingPoint else { throw fail("\(t.name) is \(t.dtype), not floating point") }
            let v = try t.doubleValues()
            guard v.allSatisfy({ $0.isFinite }) else { throw fail("\(t.name) holds a non-finite value") }
            used.append(TensorRole(tensor: t.name, shape: t.shape, use: use)); usedNames.insert(t.name)
            return v
        }
        func optional(_ key: String, _ shape: [Int], _ use: String) throws -> [Double]? {
            guard let t = find(key) else { return nil }
            return try read(t, shape, use)
        }
        // Blocks 0, 1, … while blocks.N.attn.W_Q exists.
        var L = 0
        while find("blocks.\(L).attn.W_Q") != nil { L += 1; if L > 1024 { break } }
        guard L > 0 else { throw FamilyRejection(family: family, reason: "\(we.name) but no \(prefix)blocks.0.attn.W_Q") }
        guard let wo0 = find("blocks.0.attn.W_O"), let wq0 = find("blocks.0.attn.W_Q"), let wu = find("unembed.W_U") else {
            throw fail("needs blocks.0.attn.W_O and unembed.W_U next to embed.W_E and blocks.0.attn.W_Q")
        }
        let layout: Layout
        var H: Int, e: Int, d: Int
        switch (wq0.rank, wo0.rank) {
        case (3, 3):
            layout = .transformerLens
            (H, d, e) = (wq0.shape[0], wq0.shape[1], wq0.shape[2])
        case (3, 2):
            layout = .progressMeasures
            (H, e, d) = (wq0.shape[0], wq0.shape[1], wq0.shape[2])
        default:
            throw fail("W_Q \(wq0.shape) and W_O \(wo0.shape): neither layout (TransformerLens W_O (h, e, d), progress-measures W_O (d, h·e))")
        }
        guard H >= 1, e >= 1, d >= 1, H <= 4096, e <= 65536, d <= 65536, H * e <= 1 << 20 else {
            throw fail("implausible attention sizes (heads \(H), head size \(e), d_model \(d))")
        }
        // Embedding: TransformerLens (V, d); progress-measures (d, V).
        guard we.rank == 2 else { throw fail("\(we.name) has shape \(we.shape), expected a matrix") }
        let V: Int
        let embedTransposed: Bool
        if layout == .transformerLens { guard we.shape[1] == d else { throw fail("\(we.name) \(we.shape) is not (vocab, d_model = \(d))") }; V = we.shape[0]; embedTransposed = false }
        else { guard we.shape[0] == d else { throw fail("\(we.name) \(we.shape) is not (d_model = \(d), vocab)") }; V = we.shape[1]; embedTransposed = true }
        let twoTokens = request.twoTokenInput
        let equals = twoTokens ? nil : (request.equalsToken ?? n)
        guard V >= n else { throw fail("the vocabulary has \(V) tokens, fewer than the \(n) group elements") }
        if let eq = equals, eq < 0 || eq >= V {
            throw fail("the = token id \(eq) is not in the vocabulary of \(V) tokens (pass --equals-token N, or --no-equals for [a, b] inputs)")
        }
        var embed = try read(we, we.shape, "token embedding W_E (\(embedTransposed ? "stored (d_model, vocab)" : "(vocab, d_model)"))")
        if embedTransposed {
            var t = [Double](repeating: 0, count: V * d)
            for k in 0..<d { for v in 0..<V { t[v * d + k] = embed[k * V + v] } }
            embed = t
        }
        let T = twoTokens ? 2 : 3
        var positions = 0
        var pos: [Double] = []
        if let wp = find("pos_embed.W_pos") {
            guard wp.rank == 2, wp.shape[1] == d, wp.shape[0] >= T else { throw fail("\(wp.name) has shape \(wp.shape), expected (n_ctx ≥ \(T), \(d))") }
            positions = wp.shape[0]
            pos = try read(wp, wp.shape, "positional embedding W_pos (rows 0..<\(T) used)")
        }
        // Config: act_fn, normalization_type.
        func config(_ key: String) -> String? {
            for (k, v) in ck.metadata where k == key || k.hasSuffix("." + key) { if case .string(let s) = v { return s } }
            return nil
        }
        var activation = Activation.relu
        var activationSource = "default"
        if let a = request.activation { activation = a; activationSource = "--activation" }
        else if let s = config("act_fn") {
            guard let a = Activation(name: s), a == .relu || !a.isHomogeneous else {
                throw fail("its config's act_fn '\(s)' is not supported (relu, gelu, gelu_new); pass --activation")
            }
            activation = a; activationSource = "the checkpoint's config act_fn"
        }
        let lnPre = config("normalization_type") == "LNPre"
        func ln(_ key: String, _ place: String) throws -> LayerNormWeights? {
            let w = try optional("\(key).w", [d], "LayerNorm \(place) weight")
            let b = try optional("\(key).b", [d], "LayerNorm \(place) bias")
            if w == nil && b == nil { return lnPre ? LayerNormWeights(w: Array(repeating: 1, count: d), b: Array(repeating: 0, count: d)) : nil }
            return LayerNormWeights(w: w ?? Array(repeating: 1, count: d), b: b ?? Array(repeating: 0, count: d))
        }
        var blocks: [TransformerBlockWeights] = []
        var dMLP = -1
        for l in 0..<L {
            let p = "blocks.\(l)."
            func req(_ key: String) throws -> Tensor {
                guard let t = find(p + key) else { throw fail("block \(l) has no \(prefix)\(p)\(key)") }
                return t
            }
            var w: [[Double]] = []
            for name in ["W_Q", "W_K", "W_V"] {
                let t = try req("attn." + name)
                if layout == .transformerLens {
                    let raw = try read(t, [H, d, e], "head \(name.dropFirst(2).lowercased()) matrices (heads, d_model, d_head)")
                    var c = [Double](repeating: 0, count: H * e * d)
                    for h in 0..<H { for k in 0..<d { for j in 0..<e { c[(h * e + j) * d + k] = raw[(h * d + k) * e + j] } } }
                    w.append(c)
                } else {
                    w.append(try read(t, [H, e, d], "head \(name.dropFirst(2).lowercased()) matrices (heads, d_head, d_model)"))
                }
            }
            var b: [[Double]] = []
            for name in ["b_Q", "b_K", "b_V"] {
                b.append(try optional("\(p)attn.\(name)", [H, e], "head \(name.dropFirst(2).lowercased()) biases") ?? Array(repeating: 0, count: H * e))
            }
            let woT = try req("attn.W_O")
            var wo: [Double]
            if layout == .transformerLens {
                let raw = try read(woT, [H, e, d], "attention output W_O (heads, d_head, d_model)")
                wo = [Double](repeating: 0, count: d * H * e)
                for h in 0..<H { for j in 0..<e { for k in 0..<d { wo[k * H * e + h * e + j] = raw[(h * e + j) * d + k] } } }
            } else {
                wo = try read(woT, [d, H * e], "attention output W_O (d_model, heads·d_head)")
            }
            let bo = try optional("\(p)attn.b_O", [d], "attention output bias") ?? Array(repeating: 0, count: d)
            let win = try req("mlp.W_in"), wout = try req("mlp.W_out")
            guard win.rank == 2 else { throw fail("\(win.name) has shape \(win.shape), expected a matrix") }
            let m = layout == .transformerLens ? win.shape[1] : win.shape[0]
            guard m >= 1, m <= 1 << 20 else { throw fail("\(win.name) \(win.shape): implausible MLP width") }
            if l == L - 1 { dMLP = m }
            var wIn: [Double], wOut: [Double]
            if layout == .transformerLens {
                let raw = try read(win, [d, m], "MLP input W_in (d_model, d_mlp)")
                wIn = [Double](repeating: 0, count: m * d)
                for k in 0..<d { for i in 0..<m { wIn[i * d + k] = raw[k * m + i] } }
                let rawOut = try read(wout, [m, d], "MLP output W_out (d_mlp, d_model)")
                wOut = [Double](repeating: 0, count: d * m)
                for i in 0..<m { for k in 0..<d { wOut[k * m + i] = rawOut[i * d + k] } }
            } else {
                wIn = try read(win, [m, d], "MLP input W_in (d_mlp, d_model)")
                wOut = try read(wout, [d, m], "MLP output W_out (d_model, d_mlp)")
            }
            let bIn = try optional("\(p)mlp.b_in", [m], "MLP input bias") ?? Array(repeating: 0, count: m)
            let bOut = try optional("\(p)mlp.b_out", [d], "MLP output bias") ?? Array(repeating: 0, count: d)
            blocks.append(TransformerBlockWeights(ln1: try ln("\(p)ln1", "before attention"), wQ: w[0], wK: w[1], wV: w[2],
                                                  bQ: b[0], bK: b[1], bV: b[2], wO: wo, bO: bo,
                                                  ln2: try ln("\(p)ln2", "before the MLP"), wIn: wIn, bIn: bIn, wOut: wOut, bOut: bOut))
        }
        guard wu.rank == 2, wu.shape[0] == d, wu.shape[1] >= n else {
            throw fail("\(wu.name) has shape \(wu.shape), expected (d_model = \(d), outputs ≥ \(n))")
        }
        let outputs = wu.shape[1]
        let unembed = try read(wu, wu.shape, "unembedding W_U (d_model, outputs); the outputs of the \(n) group elements read")
        let bU = try optional("unembed.b_U", [outputs], "unembedding bias") ?? Array(repeating: 0, count: outputs)
        let lnFinal = try ln("ln_final", "before the unembedding")
        let weights = TransformerWeights(dModel: d, heads: H, dHead: e, dMLP: dMLP, vocab: V, embed: embed, positions: positions, pos: pos,
                                         blocks: blocks, lnFinal: lnFinal, outputs: outputs, unembed: unembed, unembedBias: bU)
        let net = TransformerNetwork(order: n, weights: weights, activation: activation, tokenOfElement: Array(0..<n), equalsToken: equals)
        // Everything under the prefix that was not read, and why.
        var ignored: [IgnoredTensor] = []
        for t in ck.tensors where t.name.hasPrefix(prefix) && !usedNames.contains(t.name) {
            let key = t.name.dropFirst(prefix.count)
            let why: String
            if key.hasSuffix("attn.mask") { why = "the causal mask buffer (the mask is applied by construction)" }
            else if key.hasSuffix("attn.IGNORE") { why = "the masked-score constant buffer" }
            else if key.hasPrefix("blocks."), let n = Int(key.dropFirst(7).prefix { $0.isNumber }), n >= L { why = "beyond the blocks read" }
            else { why = "not part of the forward pass" }
            ignored.append(IgnoredTensor(tensor: t.name, shape: t.shape, why: why))
        }
        let hasLN = blocks.contains { $0.ln1 != nil || $0.ln2 != nil } || lnFinal != nil
        let last = "blocks.\(L - 1)."
        let winLast = find(last + "mlp.W_in")!, woutLast = find(last + "mlp.W_out")!
        let uUse = TensorUse(name: winLast.name, shape: winLast.shape, elementAxis: layout == .transformerLens ? 0 : 1,
                             neuronAxis: layout == .transformerLens ? 1 : 0, instance: nil)
        let wUse = TensorUse(name: woutLast.name, shape: woutLast.shape, elementAxis: layout == .transformerLens ? 1 : 0,
                             neuronAxis: layout == .transformerLens ? 0 : 1, instance: nil)
        let input = equals.map { "[a, b, =] with = token \($0)" } ?? "[a, b]"
        let kind = "transformer (\(layout.rawValue) layout\(prefix.isEmpty ? "" : ", prefix \(prefix)")): \(L) block\(L == 1 ? "" : "s"), "
            + "\(H) heads × \(e), d_model \(d), d_mlp \(dMLP), vocabulary \(V), \(hasLN ? "LayerNorm" : "no LayerNorm"), \(activation) (\(activationSource)), input \(input); "
            + "u = W_in·W_E over the group tokens, w = W_U·W_out over their outputs"
        let record = NetworkLayout(kind: kind, u: uUse, v: nil, w: wUse, instances: 1)
        let summary = TransformerSummary(layout: layout, prefix: prefix, blocks: L, heads: H, dHead: e, dModel: d, dMLP: dMLP, vocabulary: V,
                                         outputs: outputs, equalsToken: equals, layerNorm: hasLN, activation: activation.description,
                                         activationSource: activationSource, tensors: used, ignored: ignored)
        return (net, record, summary)
    }

    /// The power of each component of the |G| rows `rows` of an element-major matrix (rows ×
    /// width, row r at `values[r·width]`), per residual direction and summed over them.
    static func spectrum(_ values: [Double], rows: [Int], width d: Int, group g: FiniteGroup) -> ComponentPowers {
        let n = rows.count
        var m = [Double](repeating: 0, count: n * d)
        for (a, r) in rows.enumerated() { for k in 0..<d { m[a * d + k] = values[r * d + k] } }
        let (labels, table): ([String], PowerTable) = m.withUnsafeBufferPointer { b in
            let matrix = NeuronMatrix(base: b.baseAddress!, neurons: d, length: n, neuronStride: 1, sampleStride: d)
            if g.isCyclic {
                var o = SpectrumOptions(includeDC: true)
                o.threads = 1; o.backend = .fftw; o.effort = .estimate
                let s = FourierSpectra.compute(matrix, options: o)
                return ((0..<(n / 2 + 1)).map(String.init), s.table!)
            }
            let (components, table) = IsotypicDecomposition.powers(matrix, group: g, sampleElements: nil, includeTrivial: true,
                                                                   method: g.hasExplicitIrreps && n <= 2048 ? .matrices : .characters, threads: 1)
            return (components.map(\.label), table)
        }
        var total = [Double](repeating: 0, count: table.componentCount)
        for i in 0..<d { for (k, x) in table.powers(ofNeuron: i).enumerated() { total[k] += x } }
        return ComponentPowers(labels: labels, power: total)
    }
}

/// A tensor read for the forward pass, and what for.
public struct TensorRole: Codable, Equatable, Sendable {
    public var tensor: String
    public var shape: [Int]
    public var use: String
}

/// A tensor under the model's prefix that the forward pass does not read, and why.
public struct IgnoredTensor: Codable, Equatable, Sendable {
    public var tensor: String
    public var shape: [Int]
    public var why: String
}

/// The last block's attention from the last position to a and b over all pairs.
public struct HeadAttention: Codable, Equatable, Sendable {
    public var head: Int
    public var toAMean: Double, toASD: Double, toBMean: Double, toBSD: Double
    enum CodingKeys: String, CodingKey {
        case head, toAMean = "to_a_mean", toASD = "to_a_sd", toBMean = "to_b_mean", toBSD = "to_b_sd"
    }
}

/// Power per component (frequency or real irreducible component) summed over a matrix's
/// residual directions (docs/networks.md §6): the progress-measures paper's Fourier norm of the
/// embedding per frequency, squared.
public struct ComponentPowers: Codable, Equatable, Sendable {
    public var labels: [String]
    /// Summed power per component, index 0 the trivial one.
    public var power: [Double]

    /// Shares of the non-trivial power per component (the trivial one 0).
    public var shares: [Double] {
        let total = power.dropFirst().reduce(0, +)
        return power.indices.map { $0 == 0 || total <= 0 ? 0 : power[$0] / total }
    }

    /// The key components: the fewest non-trivial components, largest first, that hold at
    /// least 90% of the non-trivial power.
    public var key: [String] {
        let s = shares
        var cumulative = 0.0, out: [String] = []
        for k in s.indices.dropFirst().sorted(by: { s[$0] > s[$1] || (s[$0] == s[$1] && $0 < $1) }) {
            if cumulative >= 0.9 { break }
            out.append(labels[k]); cumulative += s[k]
        }
        return out
    }
}

/// What `analyze` reports on a transformer besides the per-neuron analysis (the JSON's
/// `transformer` object; docs/networks.md §6).
public struct TransformerSummary: Codable, Equatable, Sendable {
    public var layout: TransformerFamily.Layout
    public var prefix: String
    public var blocks: Int, heads: Int, dHead: Int, dModel: Int, dMLP: Int, vocabulary: Int, outputs: Int
    public var equalsToken: Int?
    public var layerNorm: Bool
    public var activation: String
    public var activationSource: String
    public var tensors: [TensorRole]
    public var ignored: [IgnoredTensor]
    /// Mean cross-entropy over all |G|² pairs, the logits restricted to the group outputs.
    public var loss: Double?
    public var headAttention: [HeadAttention] = []
    /// W_E's rows of the group tokens (the `=` token and W_pos are not functions on G).
    public var embedding: ComponentPowers?
    /// W_U's columns of the group outputs.
    public var unembedding: ComponentPowers?

    enum CodingKeys: String, CodingKey {
        case layout, prefix, blocks, heads, dHead = "d_head", dModel = "d_model", dMLP = "d_mlp", vocabulary, outputs
        case equalsToken = "equals_token", layerNorm = "layer_norm", activation, activationSource = "activation_source"
        case tensors, ignored, loss, headAttention = "head_attention", embedding, unembedding
    }
}
