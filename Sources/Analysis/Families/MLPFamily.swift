import CBLAS
import Checkpoints
import Foundation
import Groups

/// One-hidden-layer MLPs as real trainers write them (docs: docs/theory.md §9):
/// f(a, b)[c] = Σ_i σ(u_i[a] + v_i[b] + β_i) · w_i[c] + β′_c, with
///
/// * a concatenated one-hot input: one (m × 2|G|) or (2|G| × m) matrix (`nn.Linear(2p, m)`:
///   `fc1.weight`, `layers.0.weight`, `net.0.weight` …) holding u = W_in[:, :|G|] and
///   v = W_in[:, |G|:], then an (|G| × m) output, or
/// * the two-embedding layout of `OneHiddenLayerFamily` whose output `nn.Linear` keeps its bias,
///
/// and the biases next to the weights (`X.bias` for `X.weight`) included in the forward pass:
/// accuracy and margin are those of the network with its biases, in double precision. γ* is
/// quoted only when every bias is zero (then the network is of the paper's form).
public struct MLPFamily: NetworkFamily {
    public init() {}
    public var name: String { "MLP with biases or a concatenated input" }

    public func serves(_ task: AnalysisTask) -> Bool { task.isGroupTask }

    public func analyze(_ checkpoint: Checkpoint, request: AnalysisRequest, group: FiniteGroup?) throws -> AnalysisResult {
        guard case .group(let groupName) = request.task, let g = group else {
            throw FamilyRejection(family: name, reason: "not a group task")
        }
        let n = g.order
        // The network with its rows taken as elements through `rowOfElement` (nil: file order).
        func build(_ rowOfElement: [Int]?, _ orderSource: String?) throws -> (MLPNetwork, NetworkLayout) {
            var layout: NetworkLayout
            var u: [Double], v: [Double]
            if let found = try Self.concatenated(in: checkpoint, order: n, request: request.tensors) {
                layout = found
                u = try NetworkLocator.elementMajor(layout.u, in: checkpoint, rowOfElement: rowOfElement, count: n)
                v = try NetworkLocator.elementMajor(layout.v!, in: checkpoint, rowOfElement: rowOfElement, count: n)
            } else {
                // The two-embedding layouts, when their output layer has a bias.
                let l = try NetworkLocator.locate(in: checkpoint, order: n, request: request.tensors)
                guard l.hidden == nil, NetworkLocator.bias(of: l.w.name, length: n, in: checkpoint) != nil else {
                    throw FamilyRejection(family: name, reason: "no concatenated (\(2 * n)-wide) input matrix and no output bias")
                }
                layout = l
                (u, v) = try NetworkLocator.inputs(l, in: checkpoint, rowOfElement: rowOfElement)
            }
            layout.elementOrder = orderSource
            try layout.requireNeurons(path: checkpoint.path)
            let (activation, activationSource) = try Activation.forNetwork(request, checkpoint, default: .quadratic)
            layout.activationSource = activationSource
            let m = layout.width
            let w = try NetworkLocator.elementMajor(layout.w, in: checkpoint, rowOfElement: rowOfElement)
            var beta = [Double](repeating: 0, count: m), betaOut = [Double](repeating: 0, count: n)
            if let t = NetworkLocator.bias(of: layout.u.name, length: m, in: checkpoint), layout.v?.name == layout.u.name {
                beta = try t.doubleValues(); layout.biases["hidden"] = t.name
            }
            if let t = NetworkLocator.bias(of: layout.w.name, length: n, in: checkpoint) {
                let values = try t.doubleValues()
                betaOut = (0..<n).map { values[rowOfElement?[$0] ?? $0] }
                layout.biases["output"] = t.name
            }
            let net = MLPNetwork(order: n, width: m, activation: activation, u: u, v: v, w: w,
                                 hiddenBias: beta, outputBias: betaOut)
            return (net, layout)
        }
        var rowOfElement: [Int]?, orderSource: String?
        if request.inferElementOrder {
            // `--elements infer`: the predictions of the network in file order (docs/groups-from-data.md §4).
            rowOfElement = try ElementOrder.inferredRowOfElement(network: try build(nil, nil).0, group: g, path: checkpoint.path)
            orderSource = "the network's own predictions (--elements infer)"
        } else {
            (rowOfElement, orderSource) = try ElementOrder.rowOfElement(request, group: g, checkpoint: checkpoint)
        }
        let (net, layout) = try build(rowOfElement, orderSource)
        let options = GroupAnalysisOptions(request.pairsInElementOrder(rowOfElement: rowOfElement))
        return .group(GroupAnalysis.run(network: net, group: g, groupName: groupName, options: options), layout)
    }

    static let inputCues = ["fc1", "layers.0", "linear1", "net.0", "input", "w_in", "hidden", "embed"]

    /// An input matrix with an axis of length 2|G| and an output matrix (|G| × m) of the same
    /// width m; `--u NAME` names the input matrix.
    static func concatenated(in ck: Checkpoint, order n: Int, request: LayoutRequest) throws -> NetworkLayout? {
        let mats = ck.tensors.filter { $0.dtype.isFloatingPoint && $0.rank == 2 }
        var inputs = mats.filter { $0.shape.contains(2 * n) }
        if let name = request.u { inputs = [try ck.tensor(named: name)] }
        inputs.sort { NetworkLocator.has($0.name, inputCues) && !NetworkLocator.has($1.name, inputCues) }
        for t in inputs {
            let e = t.shape[1] == 2 * n ? 1 : 0
            let m = t.shape[1 - e]
            var outputs = mats.filter { $0.name != t.name && $0.shape.contains(n) && $0.shape.contains(m) }
            if let name = request.w { outputs = [try ck.tensor(named: name)] }
            guard let o = outputs.first else { continue }
            let oe = request.wAxis ?? (o.shape[0] == n && o.shape[1] == m ? 0 : 1)
            let u = TensorUse(name: t.name, shape: t.shape, elementAxis: e, neuronAxis: 1 - e, instance: nil, elementOffset: 0)
            let v = TensorUse(name: t.name, shape: t.shape, elementAxis: e, neuronAxis: 1 - e, instance: nil, elementOffset: n)
            let w = TensorUse(name: o.name, shape: o.shape, elementAxis: oe, neuronAxis: 1 - oe, instance: nil)
            return NetworkLayout(kind: "concatenated one-hot input (\(t.name) = [u | v] along its \(2 * n)-long axis), output \(o.name)",
                                 u: u, v: v, w: w, instances: 1)
        }
        return nil
    }
}

/// f(a, b)[c] = Σ_i σ(u_i[a] + v_i[b] + β_i) · w_i[c] + β′_c (docs/theory.md §9), weights
/// element-major as `GroupNetwork`'s. Its forward pass is the protocol's exact double pass
/// from `logits`.
public struct MLPNetwork: GroupTaskNetwork {
    public let order: Int
    public let width: Int
    public let activation: Activation
    public let u: [Double], v: [Double], w: [Double]
    /// β (m), inside σ.
    public let hiddenBias: [Double]
    /// β′ (|G|), added to the logits.
    public let outputBias: [Double]

    public init(order: Int, width: Int, activation: Activation, u: [Double], v: [Double], w: [Double],
                hiddenBias: [Double], outputBias: [Double]) {
        precondition(u.count == order * width && v.count == order * width && w.count == order * width)
        precondition(hiddenBias.count == width && outputBias.count == order)
        self.order = order; self.width = width; self.activation = activation
        self.u = u; self.v = v; self.w = w; self.hiddenBias = hiddenBias; self.outputBias = outputBias
    }

    public var roles: [WeightRole] { [WeightRole(name: "u", values: u), WeightRole(name: "v", values: v), WeightRole(name: "w", values: w)] }
    public var phaseRelation: (plus: [String], minus: [String])? { (["u", "v"], ["w"]) }

    public var notOfThePapersForm: String? {
        let hidden = hiddenBias.contains { $0 != 0 }, output = outputBias.contains { $0 != 0 }
        guard hidden || output else { return nil }
        let which = [hidden ? "hidden" : nil, output ? "output" : nil].compactMap { $0 }.joined(separator: " and ")
        return "the network has non-zero \(which) biases; the theorems' γ* is for the bias-free form"
    }

    /// h_i(a, b) = σ(u_i[a] + v_i[b] + β_i): `out[((a − rows.lowerBound)·n + b)·m + i]`.
    public func neuronActivations(rows: Range<Int>) -> [Double]? {
        let n = order, m = width
        var h = [Double](repeating: 0, count: rows.count * n * m)
        for (r, a) in rows.enumerated() { for b in 0..<n { for i in 0..<m {
            h[(r * n + b) * m + i] = activation.apply(u[a * m + i] + v[b * m + i] + hiddenBias[i])
        } } }
        return h
    }

    /// h_i(a, b) = σ(u_i[a] + v_i[b] + β_i) for the neurons in `neurons`, every pair:
    /// `buffer[(a·n + b)·neurons.count + j]` (the values of `neuronActivations(rows:)`).
    public func writeNeuronActivations(neurons: Range<Int>, into buffer: UnsafeMutablePointer<Double>) -> Bool {
        precondition(neurons.lowerBound >= 0 && neurons.upperBound <= width)
        let n = order, m = width, c = neurons.count, i0 = neurons.lowerBound
        guard c > 0 else { return true }
        u.withUnsafeBufferPointer { ub in v.withUnsafeBufferPointer { vb in hiddenBias.withUnsafeBufferPointer { hb in
            for a in 0..<n { for b in 0..<n {
                activation.applySums(ub.baseAddress! + a * m + i0, vb.baseAddress! + b * m + i0, bias: hb.baseAddress! + i0,
                                     into: buffer + (a * n + b) * c, count: c)
            } }
        } } }
        return true
    }

    /// (u + β, v) when σ is the quadratic: h_i(a, b) = (u_i[a] + β_i + v_i[b])².
    public var quadraticNeuronTerms: (p: [Double], q: [Double])? {
        guard activation == .quadratic else { return nil }
        let m = width
        return ((0..<(order * m)).map { u[$0] + hiddenBias[$0 % m] }, v)
    }

    public func logits(rows: Range<Int>) -> [Double] {
        let n = order, m = width, pairs = rows.count * n
        guard pairs > 0 else { return [] }
        var h = [Double](repeating: 0, count: pairs * m)
        for (r, a) in rows.enumerated() { for b in 0..<n { for i in 0..<m {
            h[(r * n + b) * m + i] = activation.apply(u[a * m + i] + v[b * m + i] + hiddenBias[i])
        } } }
        var out = [Double](repeating: 0, count: pairs * n)
        for p in 0..<pairs { for c in 0..<n { out[p * n + c] = outputBias[c] } }
        if m > 0 {
            h.withUnsafeBufferPointer { hb in w.withUnsafeBufferPointer { wb in out.withUnsafeMutableBufferPointer { ob in
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(pairs), Int32(n), Int32(m), 1,
                            hb.baseAddress, Int32(m), wb.baseAddress, Int32(m), 1, ob.baseAddress, Int32(n))
            } } }
        }
        return out
    }
}
