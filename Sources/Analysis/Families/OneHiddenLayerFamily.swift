import Checkpoints
import Foundation
import Groups

/// The paper's network f(a, b)[c] = Σ_i σ(u_i[a] + v_i[b]) · w_i[c] (docs/theory.md §1), in
/// every layout `NetworkLocator` recognises: the paper's (`embedding_left`, `embedding_right`,
/// `unembedding`, optional instance axis), two embeddings and an output matrix of any trainer,
/// summed-embedding MLPs (u = v), and embeddings followed by a hidden matrix (the
/// universality MLP: u = W_x·W[:d], v = W_y·W[d:]).
///
/// Its forward pass is the screened single-precision pass with an exact double re-check
/// (`ForwardPass`), so accuracy and margin are those of the double-precision pass.
public struct OneHiddenLayerFamily: NetworkFamily {
    public init() {}
    public var name: String { "one hidden layer σ(u[a] + v[b])·w" }

    public func serves(_ task: AnalysisTask) -> Bool { task.isGroupTask }

    public func analyze(_ checkpoint: Checkpoint, request: AnalysisRequest, group: FiniteGroup?) throws -> AnalysisResult {
        guard case .group(let groupName) = request.task, let g = group else {
            throw FamilyRejection(family: name, reason: "not a group task")
        }
        let choice = request.tensors
        var layout = try NetworkLocator.locate(in: checkpoint, order: g.order, request: choice)
        if let b = NetworkLocator.bias(of: layout.w.name, length: g.order, in: checkpoint) {
            throw FamilyRejection(family: name, reason: "its output layer has a bias '\(b.name)' (not the paper's bias-free form)")
        }
        var (rowOfElement, orderSource): ([Int]?, String?) = request.inferElementOrder ? (nil, nil)
            : try ElementOrder.rowOfElement(request, group: g, checkpoint: checkpoint)
        try layout.requireNeurons(path: checkpoint.path)
        let (activation, activationSource) = try Activation.forNetwork(request, checkpoint, default: .quadratic)
        layout.activationSource = activationSource
        if request.inferElementOrder {
            let (fu, fv) = try NetworkLocator.inputs(layout, in: checkpoint, rowOfElement: nil)
            let fw = try NetworkLocator.elementMajor(layout.w, in: checkpoint, rowOfElement: nil)
            let fileOrder = GroupNetwork(order: g.order, width: layout.width, activation: activation, u: fu, v: fv, w: fw)
            rowOfElement = try ElementOrder.inferredRowOfElement(network: fileOrder, group: g, path: checkpoint.path)
            orderSource = "the network's own predictions (--elements infer)"
        }
        layout.elementOrder = orderSource
        let (uw, vw) = try NetworkLocator.inputs(layout, in: checkpoint, rowOfElement: rowOfElement)
        let ww = try NetworkLocator.elementMajor(layout.w, in: checkpoint, rowOfElement: rowOfElement)
        let m = layout.width
        let net = GroupNetwork(order: g.order, width: m, activation: activation, u: uw, v: vw, w: ww)
        let options = GroupAnalysisOptions(request.pairsInElementOrder(rowOfElement: rowOfElement))
        var a = GroupAnalysis.run(network: net, group: g, groupName: groupName, options: options)
        // Square matrices (m = |G|): also try them with element and neuron axes swapped.
        func swapped(_ t: TensorUse) -> TensorUse? {
            guard t.shape[t.elementAxis] == t.shape[t.neuronAxis] else { return nil }
            var s = t
            (s.elementAxis, s.neuronAxis) = (t.neuronAxis, t.elementAxis)
            return s
        }
        let uses = [layout.u, layout.v ?? layout.u, layout.w]
        if layout.hidden == nil, uses.contains(where: { swapped($0) != nil }) {
            let alt = try uses.map { try NetworkLocator.elementMajor(swapped($0) ?? $0, in: checkpoint, rowOfElement: rowOfElement) }
            let other = GroupNetwork(order: g.order, width: m, activation: activation, u: alt[0], v: layout.v == nil ? alt[0] : alt[1], w: alt[2])
            let labelling = Labelling(group: g, composition: request.composition, bothConventions: false)
            let r = other.evaluate(threads: request.threads, labels: labelling.labels, sets: 1)[0]
            a.transposedLayout = (r.accuracy, r.margin / other.normPowerNu())
            if a.transposedLayoutFitsBetter {
                request.note?("\(checkpoint.path): with the square matrices transposed the labels fit better (accuracy \(String(format: "%.2f", r.accuracy * 100))%); pass --u-axis/--v-axis/--w-axis to choose the element axis")
            }
        }
        if layout.instances > 1 {
            request.note?("\(checkpoint.path): \(layout.instances) instances on the leading axis; analyzing instance \(choice.instance ?? 0) (choose with --instance)")
        }
        return .group(a, layout)
    }
}
