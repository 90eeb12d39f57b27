import Checkpoints
import Foundation
import Groups
import Testing
@testable import Analysis

/// A network family of a test: the paper's network, but computed only through the protocol's
/// default forward pass (logits in blocks, double precision) — what a new family gets for free.
struct PlainForwardNetwork: GroupTaskNetwork {
    let inner: GroupNetwork
    var order: Int { inner.order }
    var width: Int { inner.width }
    var activation: Activation { inner.activation }
    var roles: [WeightRole] { inner.roles }
    func logits(rows: Range<Int>) -> [Double] { inner.logits(rows: rows) }
}

struct PlainForwardFamily: NetworkFamily {
    var name: String { "plain forward (test)" }
    func serves(_ task: AnalysisTask) -> Bool { if case .group = task { return true }; return false }
    func analyze(_ checkpoint: Checkpoint, request: AnalysisRequest, group: FiniteGroup?) throws -> AnalysisResult {
        guard checkpoint.tensors.count == 3, case .group(let name) = request.task, let g = group else {
            throw FamilyRejection(family: name, reason: "wants exactly three tensors")
        }
        let layout = try NetworkLocator.locate(in: checkpoint, order: g.order)
        let (u, v) = try NetworkLocator.inputs(layout, in: checkpoint, rowOfElement: nil)
        let w = try NetworkLocator.elementMajor(layout.w, in: checkpoint, rowOfElement: nil)
        let net = PlainForwardNetwork(inner: GroupNetwork(order: g.order, width: layout.width, activation: request.activation ?? .quadratic, u: u, v: v, w: w))
        var o = GroupAnalysisOptions(); o.composition = request.composition
        return .group(GroupAnalysis.run(network: net, group: g, groupName: name, options: o), layout)
    }
}

struct RejectingFamily: NetworkFamily {
    var name: String { "never (test)" }
    func serves(_ task: AnalysisTask) -> Bool { true }
    func analyze(_ checkpoint: Checkpoint, request: AnalysisRequest, group: FiniteGroup?) throws -> AnalysisResult {
        throw FamilyRejection(family: name, reason: "looked for tensor 'nothing'")
    }
}

@Suite struct FamilySeamTests {
    static func data(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("data/" + name).path
    }

    /// The default forward pass from logits gives the accuracy and margin of the screened pass.
    @Test(arguments: [("s4-quadratic-final.pt", "S4"), ("c71-quadratic-final.pt", "C71"), ("s4-quadratic-init.pt", "S4")])
    func aNewFamilyPlugsInAndItsDefaultForwardPassAgrees(file: String, group: String) throws {
        let request = AnalysisRequest(task: .group(group))
        guard case .group(let fast, _) = try Analyzer.analyze(path: Self.data(file), request),
              case .group(let plain, _) = try Analyzer.analyze(path: Self.data(file), request, families: [RejectingFamily(), PlainForwardFamily()]) else {
            Issue.record("not group analyses"); return
        }
        #expect(plain.accuracy == fast.accuracy)
        #expect(abs(plain.margin - fast.margin) <= 1e-12 * abs(fast.margin))
        #expect(abs(plain.alternative.normalizedMargin - fast.alternative.normalizedMargin) <= 1e-12 * abs(fast.alternative.normalizedMargin))
        #expect(plain.neuronsPerComponent == fast.neuronsPerComponent)
        #expect(plain.normPowerNu == fast.normPowerNu)
    }

    @Test func whenNoFamilyFindsTheNetworkEveryReasonIsListed() throws {
        let ck = Checkpoint(format: "test", path: "x.pt", tensors: [], metadata: [], opaque: [])
        #expect {
            try Analyzer.analyze(ck, AnalysisRequest(task: .group("C5")), families: [RejectingFamily(), OneHiddenLayerFamily()])
        } throws: { e in
            let s = "\(e)"
            return s.hasPrefix("x.pt: could not find the network") && s.contains("never (test): looked for tensor 'nothing'")
                && s.contains(OneHiddenLayerFamily().name)
        }
    }

    @Test func theRegistryServesEachTaskAndTheLogitsAreTheNetworksOutputs() throws {
        #expect(NetworkFamilies.registered.filter { $0.serves(.group("S4")) }.map(\.name) == [TransformerFamily().name, OneHiddenLayerFamily().name, MLPFamily().name])
        #expect(NetworkFamilies.registered.filter { $0.serves(.parity(n: 4, k: 2, support: nil)) }.count == 1)
        // f(a, b)[c] by hand on a tiny network.
        let net = GroupNetwork(order: 3, width: 2, activation: .quadratic,
                               u: [1, 0, 0, 1, 1, 1], v: [0, 2, 1, 0, 0, 0], w: [1, 2, 3, 4, 5, 6])
        let f = net.logits(rows: 1..<3)
        for a in 1..<3 { for b in 0..<3 { for c in 0..<3 {
            var s = 0.0
            for i in 0..<2 { let x = net.u[a * 2 + i] + net.v[b * 2 + i]; s += x * x * net.w[c * 2 + i] }
            #expect(f[((a - 1) * 3 + b) * 3 + c] == s)
        } } }
    }
}

@Suite struct GroupInferenceTests {
    @Test func theGroupIsReadFromTheMetadataOrFromAPrimeAxis() throws {
        let c71 = try CheckpointLoader.load(path: FamilySeamTests.data("c71-quadratic-final.pt"))
        #expect(GroupInference.recorded(in: c71)?.name == "C71")
        #expect(GroupInference.recorded(in: c71)?.key == "config.group")
        let s4 = try CheckpointLoader.load(path: FamilySeamTests.data("s4-quadratic-final.pt"))
        #expect(GroupInference.infer(from: s4)?.name == "S4")
        // Without metadata: C71 from its axis of prime length 71; S4 (24 × 200) has none.
        let bare71 = Checkpoint(format: c71.format, path: c71.path, tensors: c71.tensors, metadata: [], opaque: [])
        #expect(GroupInference.infer(from: bare71)?.name == "C71")
        let bare4 = Checkpoint(format: s4.format, path: s4.path, tensors: s4.tensors, metadata: [], opaque: [])
        #expect(GroupInference.infer(from: bare4) == nil)
        #expect(throws: AnalysisError.self) { try Analyzer.analyze(bare4, AnalysisRequest(task: .inferredGroup)) }
        // The inferred analysis is the one with the group given.
        let notes = NoteLog()
        var request = AnalysisRequest(task: .inferredGroup)
        request.note = { notes.add($0) }
        guard case .group(let inferred, _) = try Analyzer.analyze(bare71, request),
              case .group(let given, _) = try Analyzer.analyze(c71, AnalysisRequest(task: .group("C71"))) else {
            Issue.record("not group analyses"); return
        }
        #expect(inferred.groupName == "C71" && inferred.normalizedMargin == given.normalizedMargin)
        #expect(notes.lines.contains { $0.contains("analyzing as C71") && $0.contains("prime length 71") })
        // A group that contradicts the metadata is analyzed as asked, with a warning.
        var other = AnalysisRequest(task: .group("D12"))
        other.note = { notes.add($0) }
        _ = try Analyzer.analyze(s4, other)
        #expect(notes.lines.contains { $0.hasPrefix("warning:") && $0.contains("names S4") && $0.contains("D12") })
    }
}

extension GroupInferenceTests {
    /// The universality study's MLP: W_x, W_y (|G|, d), a hidden W (2d, m) without a prime axis,
    /// W_U (m, |G|). The matrices that carry an odd prime axis carry the same one: C_p. Another
    /// prime axis anywhere, or p on one matrix only, names nothing.
    @Test func aHiddenMatrixBetweenTheEmbeddingsDoesNotHideThePrimeAxis() throws {
        func t(_ name: String, _ shape: [Int]) throws -> Tensor { try LocatingNetworks().tensor(name, shape) }
        let mlp = Checkpoint(format: "test", path: "model.pt", tensors: [
            try t("W_x", [113, 256]), try t("W_y", [113, 256]), try t("W", [512, 128]), try t("W_U", [128, 113]),
        ])
        let found = try #require(GroupInference.infer(from: mlp))
        #expect(found.name == "C113")
        #expect(found.how.contains("W_x, W_y, W_U") && found.how.contains("prime length 113"))
        for tensors in [
            [try t("W_x", [113, 256]), try t("W_y", [113, 256]), try t("W", [512, 127]), try t("W_U", [128, 113])],  // another prime
            [try t("W_x", [113, 256]), try t("W_y", [113, 256]), try t("W", [512, 128]), try t("W_U", [128, 109])],  // two primes
            [try t("W_x", [113, 256]), try t("W", [512, 128]), try t("W_U", [128, 120])],                             // p on one matrix
            [try t("W_x", [113, 109]), try t("W_U", [109, 113])],                                                     // two shared primes
        ] {
            #expect(GroupInference.infer(from: Checkpoint(format: "test", path: "x.pt", tensors: tensors)) == nil, "\(tensors.map(\.shape))")
        }
    }

    /// When no group can be inferred, the error names the axis length the most matrices share
    /// and the named groups of that order (C_n, D_{n/2}, S_k for n = k!, A_k for n = k!/2).
    @Test func anUninferableGroupGetsAHintFromTheSharedAxis() throws {
        func t(_ name: String, _ shape: [Int]) throws -> Tensor { try LocatingNetworks().tensor(name, shape) }
        #expect(GroupIdentification.namedKinds(order: 118) == ["C118", "D59"])
        #expect(GroupIdentification.namedKinds(order: 120) == ["C120", "D60", "S5"])
        #expect(GroupIdentification.namedKinds(order: 60) == ["C60", "D30", "A5"])
        #expect(GroupIdentification.namedKinds(order: 24) == ["C24", "D12", "S4"])
        #expect(GroupIdentification.namedKinds(order: 12) == ["C12", "D6", "A4"])
        #expect(GroupIdentification.namedKinds(order: 4) == ["C4"])
        let mlp = Checkpoint(format: "test", path: "model.pt", tensors: [
            try t("W_x", [118, 256]), try t("W_y", [118, 256]), try t("W", [512, 128]), try t("W_U", [128, 118]),
        ])
        #expect(GroupInference.infer(from: mlp) == nil)
        #expect(GroupInference.orderHint(in: mlp) == "an axis of length 118 is shared by W_x, W_y, W_U; groups of that order include C118, D59")
        // The paper's layout: |G| and m tie (every matrix has both), so both are named.
        let paper = Checkpoint(format: "test", path: "model.pt", tensors: [
            try t("embed_a.weight", [120, 64]), try t("embed_b.weight", [120, 64]), try t("unembed.weight", [120, 64]),
        ])
        #expect(GroupInference.orderHint(in: paper) == "an axis of length 64 is shared by embed_a.weight, embed_b.weight, unembed.weight; groups of that order include C64, D32; "
                + "an axis of length 120 is shared by embed_a.weight, embed_b.weight, unembed.weight; groups of that order include C120, D60, S5")
        // Many carriers: three names and a count.
        let wide = Checkpoint(format: "test", path: "model.pt", tensors: try (0..<6).map { try t("M\($0)", [24, 10 + $0]) })
        #expect(GroupInference.orderHint(in: wide) == "an axis of length 24 is shared by M0, M1, M2 and 3 more; groups of that order include C24, D12, S4")
        // One matrix, or no length on two of them: no hint.
        #expect(GroupInference.orderHint(in: Checkpoint(format: "test", path: "x.pt", tensors: [try t("W", [118, 256])])) == nil)
        #expect(GroupInference.orderHint(in: Checkpoint(format: "test", path: "x.pt", tensors: [try t("A", [10, 20]), try t("B", [30, 40])])) == nil)
    }
}

final class NoteLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []
    func add(_ s: String) { lock.lock(); stored.append(s); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return stored }
}

@Suite struct OrderTwoTests {
    /// C_2, S_2 and D_1 are one group in the same element order: the FFT route for all three,
    /// and Theorem 9's γ* = 2/(3√6) (Theorem 7 is for odd p).
    @Test func theGroupOfOrderTwoIsCyclicAndHasTheorem9sGammaStar() throws {
        let u: [Double] = [1, -1, 0.5, 2], v: [Double] = [0.3, 1, -2, 0.1], w: [Double] = [1, 0.2, -1, 0.7]
        let net = GroupNetwork(order: 2, width: 2, activation: .quadratic, u: u, v: v, w: w)
        var results: [GroupAnalysis] = []
        for name in ["C2", "S2", "D1"] {
            let g = try FiniteGroup.named(name)
            #expect(g.isCyclic)
            results.append(GroupAnalysis.run(network: net, group: g, groupName: name, options: .init()))
        }
        for a in results {
            #expect(a.isCyclic && a.componentLabels == ["0", "1"])
            #expect(a.bound.theorem == "Theorem 9")
            #expect(abs(a.bound.value! - 2 / (3 * 6.0.squareRoot())) < 1e-15)
            #expect(a.margin == results[0].margin && a.neuronsPerComponent == results[0].neuronsPerComponent)
        }
    }
}
