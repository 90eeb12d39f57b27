import Checkpoints
import Foundation
import Fourier
import Groups

/// How a per-neuron computation (`spectrum`, `decompose`) picks its matrix in a checkpoint:
/// the tensor, and which axis indexes neurons.
public struct MatrixSelection: Sendable {
    /// Key path of the tensor (nil: the file's only tensor, or its only matrix).
    public var tensor: String?
    /// 0: rows are neurons (neurons × p); 1: columns are (p × neurons).
    public var neuronAxis: Int?
    /// Length of the non-neuron axis (|G|): picks the neuron axis when `neuronAxis` is nil.
    public var sampleCount: Int?
    public init(tensor: String? = nil, neuronAxis: Int? = nil, sampleCount: Int? = nil) {
        self.tensor = tensor; self.neuronAxis = neuronAxis; self.sampleCount = sampleCount
    }

    /// Loads the file and selects the matrix. Without `neuronAxis` and `sampleCount`, an axis of
    /// prime length is taken as p (otherwise the longer axis is the neurons) and `note` says so.
    public func load(path: String, note: ((String) -> Void)? = nil) throws -> SelectedMatrix {
        try select(in: CheckpointLoader.load(path: path), note: note)
    }

    public func select(in checkpoint: Checkpoint, note: ((String) -> Void)? = nil) throws -> SelectedMatrix {
        let file = checkpoint.path
        let t: Tensor
        if let name = tensor {
            t = try checkpoint.tensor(named: name)
        } else {
            let matrices = checkpoint.tensors.filter { ($0.rank == 2 || $0.rank == 1) && !$0.dtype.isComplex }
            if checkpoint.tensors.isEmpty {
                throw CheckpointError(path: file, "holds no tensors (\(checkpoint.format) file\(checkpoint.metadata.isEmpty ? "" : " with \(checkpoint.metadata.count) metadata entries only"))")
            } else if checkpoint.tensors.count == 1 {
                t = checkpoint.tensors[0]
            } else if matrices.count == 1 {
                t = matrices[0]
            } else {
                let list = checkpoint.tensors.prefix(20).map { "\(DisplayText.truncated($0.name, limit: 80)) \($0.shape)" }.joined(separator: ", ")
                    + (checkpoint.tensors.count > 20 ? ", …" : "")
                throw CheckpointError(path: file, "holds \(checkpoint.tensors.count) tensors; choose one with --tensor (\(list))")
            }
        }
        guard !t.dtype.isComplex, t.dtype != .bool else {
            throw CheckpointError(path: file, "tensor '\(t.name)' has dtype \(t.dtype.rawValue); real weights are needed")
        }
        switch t.rank {
        case 1:
            return try SelectedMatrix(tensor: t, neuronAxis: nil, path: file)
        case 2:
            let (r, c) = (t.shape[0], t.shape[1])
            if let a = neuronAxis { return try SelectedMatrix(tensor: t, neuronAxis: a, path: file) }
            if let p = sampleCount {
                if r == p && c != p { return try SelectedMatrix(tensor: t, neuronAxis: 1, path: file) }
                if c == p && r != p { return try SelectedMatrix(tensor: t, neuronAxis: 0, path: file) }
                if r == p && c == p {
                    throw AnalysisError("\(file): tensor '\(t.name)' is \(r) × \(c): both axes have length \(p); pass --neuron-axis 0 or 1")
                }
                // A vocabulary of |G| + k tokens (a transformer's `=` token): the first |G| rows.
                let extra = [r - p, c - p].map { (1...4).contains($0) }
                if extra[0] != extra[1] {
                    let axis = extra[0] ? 1 : 0
                    let long = t.shape[1 - axis]
                    note?("\(file): tensor '\(t.name)' is \(r) × \(c): taking the first \(p) of its \(long) entries along axis \(1 - axis) as the group's elements (the other \(long - p) are extra tokens, e.g. '=')")
                    return try SelectedMatrix(tensor: t, neuronAxis: axis, path: file, length: p)
                }
                throw AnalysisError("\(file): tensor '\(t.name)' is \(r) × \(c): no axis has length --p \(p)")
            }
            if r == c {
                throw AnalysisError("\(file): tensor '\(t.name)' is \(r) × \(c), so the neuron axis is ambiguous; pass --neuron-axis 0 (rows are neurons) or 1 (columns are neurons)")
            }
            // p of a modular task is usually prime: if exactly one axis has prime length,
            // it is the group axis; otherwise the longer axis is taken as neurons.
            let rp = isPrime(r), cp = isPrime(c)
            let axis = rp != cp ? (rp ? 1 : 0) : (r > c ? 0 : 1)
            let chosen = try SelectedMatrix(tensor: t, neuronAxis: axis, path: file)
            note?("\(file): taking axis \(axis) of \(t.name) \(t.shape) as neurons (\(t.shape[axis]) neurons, p = \(t.shape[1 - axis])); pass --neuron-axis or --p to choose")
            return chosen
        default:
            throw CheckpointError(path: file, "tensor '\(t.name)' has rank \(t.rank) (shape \(t.shape)); a matrix (neurons × p or p × neurons) is needed")
        }
    }
}

/// A tensor viewed as a neuron matrix, in its own precision where it can be read in place.
public struct SelectedMatrix: Sendable {
    public let tensor: Tensor
    /// 0 or 1; nil for a single 1-D neuron.
    public let neuronAxis: Int?
    public let neurons: Int
    /// Samples per neuron (p, |G|).
    public let length: Int
    public let path: String

    /// `length`: use only the first `length` samples of each neuron (nil: all of them).
    public init(tensor: Tensor, neuronAxis: Int?, path: String, length first: Int? = nil) throws {
        self.tensor = tensor; self.neuronAxis = neuronAxis; self.path = path
        let all: Int
        if let a = neuronAxis {
            neurons = tensor.shape[a]; all = tensor.shape[1 - a]
        } else {
            neurons = 1; all = tensor.shape[0]
        }
        length = min(first ?? all, all)
        guard length >= 2 else {
            throw CheckpointError(path: path, "tensor '\(tensor.name)' has p = \(length) along the group axis; p ≥ 2 is needed")
        }
    }

    /// Runs `float` or `double` on the matrix: float32 and float64 tensors in native byte order
    /// with positive strides are viewed in place (no copy); everything else is widened to
    /// float64 first. Not called for a matrix without neurons.
    public func withNeuronMatrix<R>(float: (NeuronMatrix<Float>) -> R, double: (NeuronMatrix<Double>) -> R) throws -> R {
        let s: (neuron: Int, sample: Int) = neuronAxis.map { (tensor.strides[$0], tensor.strides[1 - $0]) } ?? (1, tensor.strides[0])
        try tensor.source.load()
        let inPlace = tensor.isNativeByteOrder && s.neuron >= 1 && s.sample >= 1 && neurons > 0
        if inPlace, tensor.dtype == .float32, let base = tensor.baseAddress {
            return withExtendedLifetime(tensor.source) {
                float(NeuronMatrix(base: base.assumingMemoryBound(to: Float.self), neurons: neurons, length: length,
                                   neuronStride: s.neuron, sampleStride: s.sample))
            }
        }
        if inPlace, tensor.dtype == .float64, let base = tensor.baseAddress {
            return withExtendedLifetime(tensor.source) {
                double(NeuronMatrix(base: base.assumingMemoryBound(to: Double.self), neurons: neurons, length: length,
                                    neuronStride: s.neuron, sampleStride: s.sample))
            }
        }
        // Widen to float64 in C order, then view with the right strides.
        let values = try tensor.doubleValues()
        let cols = neuronAxis == nil ? length : tensor.shape[1]
        let (ns, ss) = neuronAxis == 1 ? (1, cols) : (neuronAxis == 0 ? cols : 1, 1)
        return values.withUnsafeBufferPointer { b in
            double(NeuronMatrix(base: b.baseAddress!, neurons: neurons, length: length, neuronStride: ns, sampleStride: ss))
        }
    }

    /// Per-neuron Fourier spectra on Z_p (docs/theory.md §4).
    public func spectra(options: SpectrumOptions) throws -> FourierSpectra {
        if neurons == 0 { return FourierSpectra.compute(rows: [Double](), neurons: 0, p: length, options: options) }
        return try withNeuronMatrix(float: { FourierSpectra.compute($0, options: options) },
                                    double: { FourierSpectra.compute($0, options: options) })
    }

    /// Isotypic powers of every neuron over the group's real components (docs/theory.md §5);
    /// `elements[row]` is the element of each sample (nil: the default order).
    public func isotypicPowers(group: FiniteGroup, elements: [Int]?, includeTrivial: Bool,
                               method: IsotypicDecomposition.Method) throws -> (components: [RealComponent], table: PowerTable) {
        if neurons == 0 {
            let comps = group.characterTable.realComponents
            return (comps, PowerTable(neuronCount: 0, componentCount: comps.count, includeTrivial: includeTrivial, powers: []))
        }
        return try withNeuronMatrix(
            float: { IsotypicDecomposition.powers($0, group: group, sampleElements: elements, includeTrivial: includeTrivial, method: method) },
            double: { IsotypicDecomposition.powers($0, group: group, sampleElements: elements, includeTrivial: includeTrivial, method: method) })
    }
}

/// Whether n is prime (trial division; n is an axis length).
public func isPrime(_ n: Int) -> Bool {
    if n < 2 { return false }
    var d = 2
    while d * d <= n { if n % d == 0 { return false }; d += 1 }
    return true
}
