import Checkpoints
import Foundation
import Groups

/// The sparse-parity network f(x) = Σ_i (u_iᵀx)^k · w_i on {±1}^n (docs/theory.md §1): a
/// first layer u (m × n) and a two-class output w (2 × m), analyzed against Theorem 8.
public struct SparseParityFamily: NetworkFamily {
    public init() {}
    public var name: String { "sparse parity (first layer, two-class output)" }

    public func serves(_ task: AnalysisTask) -> Bool {
        if case .parity = task { return true }
        return false
    }

    public func analyze(_ checkpoint: Checkpoint, request: AnalysisRequest, group: FiniteGroup?) throws -> AnalysisResult {
        guard case .parity(let n, let k, let support) = request.task else {
            throw FamilyRejection(family: name, reason: "not a parity task")
        }
        let (uu, wu) = try NetworkLocator.locateParity(in: checkpoint, inputs: n, u: request.tensors.u, w: request.tensors.w)
        let m = uu.shape[uu.neuronAxis]
        guard m > 0 else { throw LayoutError(path: checkpoint.path, message: "the network has width 0 (u = '\(uu.name)' \(uu.shape)): no hidden neuron to analyze") }
        guard wu.shape[wu.neuronAxis] == m else {
            throw LayoutError(path: checkpoint.path, message: "u '\(uu.name)' has width \(m) but w '\(wu.name)' has \(wu.shape[wu.neuronAxis])")
        }
        // Element-major (inputs × m) → neuron-major (m × inputs).
        let ue = try NetworkLocator.elementMajor(uu, in: checkpoint, rowOfElement: nil)
        let we = try NetworkLocator.elementMajor(wu, in: checkpoint, rowOfElement: nil)
        var un = [Double](repeating: 0, count: n * m), wn = [Double](repeating: 0, count: 2 * m)
        for j in 0..<n { for i in 0..<m { un[i * n + j] = ue[j * m + i] } }
        for c in 0..<2 { for i in 0..<m { wn[i * 2 + c] = we[c * m + i] } }
        let (activation, activationSource) = try Activation.forNetwork(request, checkpoint, default: .power(k))
        let net = ParityNetwork(inputs: n, width: m, activation: activation, u: un, w: wn)
        let a = ParityAnalysis.run(network: net, k: k, support: support?.sorted(), plusClass: nil)
        var layout = NetworkLayout(kind: "parity (first layer, output layer)", u: uu, v: nil, w: wu, instances: 1)
        layout.activationSource = activationSource
        return .parity(a, layout)
    }
}
