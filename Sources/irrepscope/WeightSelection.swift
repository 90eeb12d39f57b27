import ArgumentParser
import Checkpoints
import Fourier

/// How a per-neuron command picks its matrix: the file, the tensor in it, and which axis
/// indexes neurons.
struct WeightSelection: ParsableArguments {
    @Argument(help: "Weight file: .pt/.pth/.bin (PyTorch, zip or legacy), .safetensors, .npy, .npz or Flax msgpack.")
    var file: String

    @Option(name: .long, help: "Tensor to analyse, by key path (default: the file's only matrix).")
    var tensor: String?

    @Option(name: .customLong("neuron-axis"),
            help: "Axis that indexes neurons: 0 for a (neurons × p) matrix, 1 for (p × neurons).")
    var neuronAxis: Int?

    @Option(name: .customLong("p"),
            help: "Length of the non-neuron axis (|G|); picks the neuron axis when --neuron-axis is not given.")
    var groupOrder: Int?

    func validate() throws {
        if let a = neuronAxis, a != 0 && a != 1 { throw ValidationError("--neuron-axis must be 0 or 1, not \(a)") }
        if let p = groupOrder, p < 1 { throw ValidationError("--p must be positive") }
    }

    /// Loads the file and the tensor, and decides the neuron axis.
    func load() throws -> SelectedMatrix {
        let checkpoint = try CheckpointLoader.load(path: file)
        let t: Tensor
        if let name = tensor {
            t = try checkpoint.tensor(named: name)
        } else {
            let matrices = checkpoint.tensors.filter { ($0.rank == 2 || $0.rank == 1) && !$0.dtype.isComplex }
            if checkpoint.tensors.count == 1 {
                t = checkpoint.tensors[0]
            } else if matrices.count == 1 {
                t = matrices[0]
            } else {
                let list = checkpoint.tensors.map { "\($0.name) \($0.shape)" }.joined(separator: ", ")
                throw CheckpointError(path: file, "holds \(checkpoint.tensors.count) tensors; choose one with --tensor (\(list))")
            }
        }
        guard !t.dtype.isComplex, t.dtype != .bool else {
            throw CheckpointError(path: file, "tensor '\(t.name)' has dtype \(t.dtype.rawValue); real weights are needed")
        }
        let axis: Int
        switch t.rank {
        case 1:
            axis = 0  // a single neuron
            return try SelectedMatrix(tensor: t, neuronAxis: nil, path: file)
        case 2:
            let (r, c) = (t.shape[0], t.shape[1])
            if let a = neuronAxis {
                axis = a
            } else if let p = groupOrder {
                if r == p && c != p { axis = 1 }
                else if c == p && r != p { axis = 0 }
                else if r == p && c == p {
                    throw UsageError("\(file): tensor '\(t.name)' is \(r) × \(c): both axes have length \(p); pass --neuron-axis 0 or 1")
                } else {
                    throw UsageError("\(file): tensor '\(t.name)' is \(r) × \(c): no axis has length --p \(p)")
                }
            } else if r == c {
                throw UsageError("\(file): tensor '\(t.name)' is \(r) × \(c), so the neuron axis is ambiguous; pass --neuron-axis 0 (rows are neurons) or 1 (columns are neurons)")
            } else {
                // p of a modular task is usually prime: if exactly one axis has prime length,
                // it is the group axis; otherwise the longer axis is taken as neurons.
                let rp = isPrime(r), cp = isPrime(c)
                axis = rp != cp ? (rp ? 1 : 0) : (r > c ? 0 : 1)
                let chosen = try SelectedMatrix(tensor: t, neuronAxis: axis, path: file)
                diagnostic("irrepscope: note: \(file): taking axis \(axis) of \(t.name) \(t.shape) as neurons (\(t.shape[axis]) neurons, p = \(t.shape[1 - axis])); pass --neuron-axis or --p to choose")
                return chosen
            }
        default:
            throw CheckpointError(path: file, "tensor '\(t.name)' has rank \(t.rank) (shape \(t.shape)); a matrix (neurons × p or p × neurons) is needed")
        }
        return try SelectedMatrix(tensor: t, neuronAxis: axis, path: file)
    }
}

/// A tensor viewed as a neuron matrix, in its own precision where it can be read in place.
struct SelectedMatrix {
    let tensor: Tensor
    /// 0 or 1; nil for a single 1-D neuron.
    let neuronAxis: Int?
    let neurons: Int
    let length: Int
    let path: String

    init(tensor: Tensor, neuronAxis: Int?, path: String) throws {
        self.tensor = tensor; self.neuronAxis = neuronAxis; self.path = path
        if let a = neuronAxis {
            neurons = tensor.shape[a]; length = tensor.shape[1 - a]
        } else {
            neurons = 1; length = tensor.shape[0]
        }
        guard length >= 2 else {
            throw CheckpointError(path: path, "tensor '\(tensor.name)' has p = \(length) along the group axis; p ≥ 2 is needed")
        }
    }

    private var strides: (neuron: Int, sample: Int) {
        guard let a = neuronAxis else { return (1, tensor.strides[0]) }
        return (tensor.strides[a], tensor.strides[1 - a])
    }

    /// Per-neuron Fourier spectra. float32 and float64 tensors in native byte order with
    /// positive strides are transformed in place (no copy); everything else is widened to
    /// float64 first.
    func spectra(options: SpectrumOptions) throws -> FourierSpectra {
        let s = strides
        let inPlace = tensor.isNativeByteOrder && s.neuron >= 1 && s.sample >= 1 && neurons > 0
        if inPlace, tensor.dtype == .float32, let base = tensor.baseAddress {
            return withExtendedLifetime(tensor.source) {
                FourierSpectra.compute(NeuronMatrix(base: base.assumingMemoryBound(to: Float.self), neurons: neurons,
                                                    length: length, neuronStride: s.neuron, sampleStride: s.sample),
                                       options: options)
            }
        }
        if inPlace, tensor.dtype == .float64, let base = tensor.baseAddress {
            return withExtendedLifetime(tensor.source) {
                FourierSpectra.compute(NeuronMatrix(base: base.assumingMemoryBound(to: Double.self), neurons: neurons,
                                                    length: length, neuronStride: s.neuron, sampleStride: s.sample),
                                       options: options)
            }
        }
        // Widen to float64 in C order, then view with the right strides.
        let values = try tensor.doubleValues()
        let cols = neuronAxis == nil ? length : tensor.shape[1]
        let (ns, ss) = neuronAxis == 1 ? (1, cols) : (neuronAxis == 0 ? cols : 1, 1)
        if neurons == 0 {
            return FourierSpectra.compute(rows: [Double](), neurons: 0, p: length, options: options)
        }
        return values.withUnsafeBufferPointer { b in
            FourierSpectra.compute(NeuronMatrix(base: b.baseAddress!, neurons: neurons, length: length,
                                                neuronStride: ns, sampleStride: ss), options: options)
        }
    }
}

/// Output formats of the per-neuron commands.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json, csv
}

/// Output formats of summary commands.
enum SummaryFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}

func isPrime(_ n: Int) -> Bool {
    if n < 2 { return false }
    var d = 2
    while d * d <= n { if n % d == 0 { return false }; d += 1 }
    return true
}
