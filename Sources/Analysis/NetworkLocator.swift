import Checkpoints

/// Where the network's weights were found in a checkpoint, and how they were read.
public struct TensorUse: Sendable, Equatable {
    /// Key path of the tensor.
    public var name: String
    /// Shape in the file.
    public var shape: [Int]
    /// Axis that indexes group elements (or input coordinates / classes), in the file's shape.
    public var elementAxis: Int
    /// Axis that indexes neurons.
    public var neuronAxis: Int
    /// The instance taken from a leading instance axis, if any.
    public var instance: Int?
    /// The index along the element axis where this role's |G| elements start (a concatenated
    /// one-hot input holds u at 0 and v at |G|); nil when the axis is all elements.
    public var elementOffset: Int?

    public init(name: String, shape: [Int], elementAxis: Int, neuronAxis: Int, instance: Int?, elementOffset: Int? = nil) {
        self.name = name; self.shape = shape; self.elementAxis = elementAxis; self.neuronAxis = neuronAxis
        self.instance = instance; self.elementOffset = elementOffset
    }
}

/// The tensors the analyzer uses for u, v, w and how they were identified.
public struct NetworkLayout: Sendable, Equatable {
    /// e.g. "paper (embedding_left/right, unembedding)", "generic by shape", "explicit flags".
    public var kind: String
    public var u: TensorUse
    /// nil when u and v are one shared matrix.
    public var v: TensorUse?
    public var w: TensorUse
    /// Number of instances on a leading instance axis (1 when there is none).
    public var instances: Int
    /// Embeddings followed by a hidden matrix (the universality MLP): `u` and `v` are then
    /// the embeddings (element axis and embedding axis of width d) and the network's
    /// u = W_x·W[0..<d], v = W_y·W[d..<2d]; nil for the paper's form.
    public var hidden: HiddenMap?
    /// Bias tensors by place: "hidden" (β inside σ), "output" (β′ added to the logits).
    public var biases: [String: String] = [:]
    /// Where a non-default element order of the rows came from ("--elements", or the
    /// checkpoint's metadata); nil for the group's default order.
    public var elementOrder: String?
    /// Where σ came from when neither `--activation` nor the family's default chose it (the
    /// checkpoint's metadata, `Activation.declared(in:)`); nil otherwise.
    public var activationSource: String?

    public init(kind: String, u: TensorUse, v: TensorUse?, w: TensorUse, instances: Int, hidden: HiddenMap? = nil,
                biases: [String: String] = [:]) {
        self.kind = kind; self.u = u; self.v = v; self.w = w; self.instances = instances; self.hidden = hidden
        self.biases = biases
    }

    /// The number of neurons m.
    public var width: Int { w.shape[w.neuronAxis] }

    /// Throws when the network has no hidden neuron (a width of 0 has no margin to measure).
    public func requireNeurons(path: String) throws {
        guard width > 0 else {
            throw LayoutError(path: path, message: "the network has width 0 (u = '\(u.name)' \(u.shape), w = '\(w.name)' \(w.shape)): no hidden neuron to analyze")
        }
    }
}

/// The hidden matrix of a network whose two inputs are embedded first: the pre-activation of
/// neuron i is Σ_j W_x[a, j]·W[j, i] + Σ_j W_y[b, j]·W[d + j, i], which is u_i[a] + v_i[b] of
/// docs/theory.md §1 with u = W_x·W[0..<d] and v = W_y·W[d..<2d] (no bias: exactly the paper's form).
public struct HiddenMap: Sendable, Equatable {
    /// Key path of W.
    public var name: String
    public var shape: [Int]
    /// Embedding width d of each input.
    public var inputWidth: Int
    /// True when W is stored (m × 2d) rather than (2d × m).
    public var transposed: Bool

    public init(name: String, shape: [Int], inputWidth: Int, transposed: Bool) {
        self.name = name; self.shape = shape; self.inputWidth = inputWidth; self.transposed = transposed
    }
}

/// A failure to find the network, with the candidate tensors and the flags to use.
public struct LayoutError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let message: String
    public var description: String { "\(path): \(message)" }
    public init(path: String, message: String) { self.path = path; self.message = message }
}

/// Explicit choices that override detection.
public struct LayoutRequest: Sendable {
    public var u: String?
    public var v: String?
    public var w: String?
    /// Element axis per tensor (nil: the axis whose length is |G|).
    public var uAxis: Int?
    public var vAxis: Int?
    public var wAxis: Int?
    /// Which instance of a leading instance axis to take (default 0).
    public var instance: Int?
    public init() {}
}

/// Finds the paper's network (docs/theory.md §1) among a checkpoint's tensors.
///
/// Known layouts are recognized by key names (docs/formats.md §11): `embedding_left`/`embedding_right`/
/// `unembedding` with an optional leading instance axis; the universality MLP (`W_x`, `W_y`,
/// hidden `W`, `W_U`: u and v are the embeddings composed with W, see `HiddenMap`);
/// summed-embedding MLPs (`W_in`, `W_out`, u = v). Beyond those, two input matrices and one output matrix sharing a width m
/// whose other axis has length |G| are found by shape and told apart by their names
/// (left/right, x/y, a/b, embed/unembed, in/out …) or, failing that, file order: so a plain
/// PyTorch model with two `nn.Embedding(|G|, m)` and one `nn.Linear(m, |G|, bias=False)` needs
/// no flags.
public enum NetworkLocator {
    static let outputCues = ["unembed", "w_u", "out", "head", "readout", "decoder", "classifier", "logit", "proj", "fc2", "linear", "w_out", "lm_"]
    static let leftCues = ["left", "_a", ".a", "w_x", "_x", "embed_a", "first", "x_emb", "emb1", "embed1", "in1", "a_emb"]
    static let rightCues = ["right", "_b", ".b", "w_y", "_y", "embed_b", "second", "y_emb", "emb2", "embed2", "in2", "b_emb"]

    /// Key-path parts of optimizer state, left out of the generic search.
    static let optimizerCues = ["opt_state", "optimizer.", "exp_avg", "momentum_buffer"]

    static func has(_ name: String, _ cues: [String]) -> Bool {
        let s = name.lowercased()
        return cues.contains { s.contains($0) }
    }

    /// Locates u, v, w for a group of order `order`.
    public static func locate(in checkpoint: Checkpoint, order n: Int, request: LayoutRequest = .init()) throws -> NetworkLayout {
        let path = checkpoint.path
        let floats = checkpoint.tensors.filter { $0.dtype.isFloatingPoint }

        func use(_ t: Tensor, elementAxis requested: Int?, preferLast: Bool) throws -> TensorUse {
            var shape = t.shape
            var instance: Int? = nil
            var offset = 0
            if shape.count == 3 {
                instance = request.instance ?? 0
                guard instance! >= 0 && instance! < shape[0] else {
                    throw LayoutError(path: path, message: "--instance \(instance!) is out of range: '\(t.name)' has \(shape[0]) instances")
                }
                shape.removeFirst(); offset = 1
            }
            guard shape.count == 2 else {
                throw LayoutError(path: path, message: "tensor '\(t.name)' has shape \(t.shape); a matrix (optionally with a leading instance axis) is needed")
            }
            let e: Int
            if let r = requested {
                guard r == 0 || r == 1 else { throw LayoutError(path: path, message: "element axis must be 0 or 1") }
                e = r
            } else if shape[0] == n && shape[1] != n { e = 0 }
            else if shape[1] == n && shape[0] != n { e = 1 }
            else if shape[0] == n && shape[1] == n { e = preferLast ? 1 : 0 }
            else {
                throw LayoutError(path: path, message: "tensor '\(t.name)' has shape \(t.shape); no axis has the group order \(n)")
            }
            return TensorUse(name: t.name, shape: t.shape, elementAxis: e + offset, neuronAxis: 1 - e + offset, instance: instance)
        }
        func isUnembedLike(_ name: String) -> Bool { has(name, ["unembed", "w_u"]) }

        // 1. Explicit flags.
        if request.u != nil || request.v != nil || request.w != nil {
            guard let un = request.u, let wn = request.w else {
                throw LayoutError(path: path, message: "give at least --u and --w (and --v unless u = v)")
            }
            let ut = try checkpoint.tensor(named: un), wt = try checkpoint.tensor(named: wn)
            let vt = try request.v.map { try checkpoint.tensor(named: $0) }
            let u = try use(ut, elementAxis: request.uAxis, preferLast: false)
            let v = try vt.map { try use($0, elementAxis: request.vAxis, preferLast: false) }
            let w = try use(wt, elementAxis: request.wAxis, preferLast: isUnembedLike(wn))
            return try checked(NetworkLayout(kind: "explicit flags", u: u, v: v, w: w, instances: instancesOf(ut)), path: path)
        }

        // 2. Named layouts.
        func named(_ suffix: String) -> Tensor? {
            floats.first { $0.name == suffix || $0.name.hasSuffix("." + suffix) }
        }
        if let l = named("embedding_left"), let r = named("embedding_right"), let o = named("unembedding") {
            let layout = NetworkLayout(kind: "paper (embedding_left, embedding_right, unembedding)",
                                       u: try use(l, elementAxis: nil, preferLast: false),
                                       v: try use(r, elementAxis: nil, preferLast: false),
                                       w: try use(o, elementAxis: nil, preferLast: true), instances: instancesOf(l))
            return try checked(layout, path: path)
        }
        // The universality study's one-layer MLP: W_x, W_y (|G| × d), W (2d × m), W_U (m × |G|).
        if let x = named("W_x"), let y = named("W_y"), let h = named("W"), let o = named("W_U"),
           x.rank == 2, y.rank == 2, h.rank == 2, x.shape == y.shape, x.shape.contains(n) {
            let xe = try use(x, elementAxis: nil, preferLast: false)
            let d = x.shape[xe.neuronAxis]
            let transposed: Bool
            if h.shape[0] == 2 * d { transposed = false }
            else if h.shape[1] == 2 * d { transposed = true }
            else {
                throw LayoutError(path: path, message: "W_x/W_y embed into \(d) dimensions each, but the hidden matrix '\(h.name)' \(h.shape) has no axis of length \(2 * d)")
            }
            let m = h.shape[transposed ? 0 : 1]
            let w = try use(o, elementAxis: nil, preferLast: true)
            guard o.shape[w.neuronAxis] == m else {
                throw LayoutError(path: path, message: "'\(o.name)' \(o.shape) has width \(o.shape[w.neuronAxis]) but the hidden matrix '\(h.name)' \(h.shape) has \(m) neurons")
            }
            return NetworkLayout(kind: "embeddings and hidden matrix (W_x, W_y, W, W_U): u = W_x·W[:d], v = W_y·W[d:]",
                                 u: xe, v: try use(y, elementAxis: nil, preferLast: false), w: w, instances: 1,
                                 hidden: HiddenMap(name: h.name, shape: h.shape, inputWidth: d, transposed: transposed))
        }
        if let i = floats.first(where: { $0.name.hasSuffix("W_in") && $0.rank == 2 }),
           let o = floats.first(where: { $0.name.hasSuffix("W_out") && $0.rank == 2 }),
           i.shape.contains(n), o.shape.contains(n), !floats.contains(where: { $0.name.hasSuffix("W_E") }) {
            let layout = NetworkLayout(kind: "summed-embedding MLP (W_in shared by both inputs, W_out)",
                                       u: try use(i, elementAxis: nil, preferLast: true), v: nil,
                                       w: try use(o, elementAxis: nil, preferLast: false), instances: 1)
            return try checked(layout, path: path)
        }

        // 3. Generic: tensors with an axis of length |G|, grouped by the other axis (the width).
        // Optimizer moments (Optax `opt_state`, torch `optimizer`) mirror the parameters' shapes.
        let parameters = floats.filter { !has($0.name, optimizerCues) }
        var byWidth: [Int: [Tensor]] = [:]
        var widthOrder: [Int] = []
        for t in parameters {
            let s = t.rank == 3 ? Array(t.shape.dropFirst()) : t.shape
            guard s.count == 2, s.contains(n) else { continue }
            let m = s[0] == n ? s[1] : s[0]
            if byWidth[m] == nil { widthOrder.append(m) }
            byWidth[m, default: []].append(t)
        }
        let groups = widthOrder.filter { byWidth[$0]!.count == 3 }
        if groups.count == 1, let ts = byWidth[groups[0]] {
            // Output: the one with an output cue (and no input cue), else the last in file order.
            let outputs = ts.filter { has($0.name, outputCues) && !has($0.name, leftCues + rightCues) }
            let out = outputs.count == 1 ? outputs[0] : ts[2]
            var inputs = ts.filter { $0.name != out.name }
            if has(inputs[1].name, leftCues) && !has(inputs[0].name, leftCues)
                || has(inputs[0].name, rightCues) && !has(inputs[1].name, rightCues) {
                inputs.swapAt(0, 1)
            }
            let how = outputs.count == 1 ? "told apart by names" : "output taken as the last in file order"
            let layout = NetworkLayout(kind: "generic by shape (\(how))",
                                       u: try use(inputs[0], elementAxis: nil, preferLast: false),
                                       v: try use(inputs[1], elementAxis: nil, preferLast: false),
                                       w: try use(out, elementAxis: nil, preferLast: isUnembedLike(out.name)),
                                       instances: instancesOf(inputs[0]))
            return try checked(layout, path: path)
        }
        let candidates = floats.filter { $0.shape.contains(n) }.map { "\($0.name) \($0.shape)" }
        let listed = candidates.isEmpty ? "no tensor has an axis of length \(n)" : "candidates: " + candidates.joined(separator: ", ")
        throw LayoutError(path: path, message: "could not find the network (two input matrices and one output matrix with an axis of length |G| = \(n) and a common width); \(listed); name them with --u NAME --v NAME --w NAME (and --u-axis/--v-axis/--w-axis for the element axis)")
    }

    static func instancesOf(_ t: Tensor) -> Int { t.rank == 3 ? t.shape[0] : 1 }

    static func checked(_ l: NetworkLayout, path: String) throws -> NetworkLayout {
        let m = l.u.shape[l.u.neuronAxis]
        for (role, t) in [("v", l.v), ("w", l.w)] {
            guard let t else { continue }
            guard t.shape[t.neuronAxis] == m else {
                throw LayoutError(path: path, message: "\(role) = '\(t.name)' \(t.shape) has width \(t.shape[t.neuronAxis]) but u = '\(l.u.name)' has \(m)")
            }
        }
        return l
    }

    /// The network's u and v, element-major (n × m): the input tensors themselves, or for a
    /// layout with a hidden matrix the embeddings times its two halves (docs/theory.md §1).
    public static func inputs(_ layout: NetworkLayout, in checkpoint: Checkpoint, rowOfElement: [Int]?) throws -> (u: [Double], v: [Double]) {
        let ue = try elementMajor(layout.u, in: checkpoint, rowOfElement: rowOfElement)
        let ve = try layout.v.map { try elementMajor($0, in: checkpoint, rowOfElement: rowOfElement) } ?? ue
        guard let h = layout.hidden else { return (ue, ve) }
        let hv = try checkpoint.tensor(named: h.name).doubleValues()
        let d = h.inputWidth, m = layout.width, n = ue.count / max(d, 1)
        let (rowCount, overflow) = (2 * d).multipliedReportingOverflow(by: m)
        guard d > 0, !overflow, hv.count == rowCount, ue.count == n * d, ve.count == n * d else {
            throw LayoutError(path: checkpoint.path, message: "the hidden matrix '\(h.name)' \(h.shape) does not match embeddings of width \(d) and \(m) neurons")
        }
        // W's rows (2d rows of m values, row j = input dimension j), whichever way it is stored.
        let rowsOfW: [Double] = h.transposed
            ? [Double](unsafeUninitializedCapacity: rowCount) { out, initialized in
                for i in 0..<m { for j in 0..<(2 * d) { out[j * m + i] = hv[i * 2 * d + j] } }
                initialized = rowCount
            }
            : hv
        // out[a, i] = Σ_j e[a, j] · W[rows + j, i], summed in order j = 0, 1, … (a product then a
        // sum, each rounded; zero inputs skipped), vectorized over i: the same numbers as the
        // scalar loop over (a, j, i).
        func compose(_ e: [Double], rows: Int) -> [Double] {
            var out = [Double](repeating: 0, count: n * m)
            out.withUnsafeMutableBufferPointer { ob in rowsOfW.withUnsafeBufferPointer { wb in e.withUnsafeBufferPointer { eb in
                for a in 0..<n {
                    let o = ob.baseAddress! + a * m
                    for j in 0..<d {
                        let x = eb[a * d + j]
                        if x == 0 { continue }
                        let w = wb.baseAddress! + (rows + j) * m
                        for i in 0..<m { o[i] += x * w[i] }
                    }
                }
            } } }
            return out
        }
        return (compose(ue, rows: 0), compose(ve, rows: d))
    }

    /// The bias next to a weight tensor: `X.bias` for `X.weight` (PyTorch's nn.Linear) or
    /// `X.kernel` (Flax and Keras Dense), a 1-D
    /// floating-point tensor of `length`; nil when there is none.
    public static func bias(of weight: String, length: Int, in checkpoint: Checkpoint) -> Tensor? {
        // `X.kernel` → `X.bias` for Flax/Keras Dense layers.
        let stem = weight.hasSuffix("weight") ? "weight" : weight.hasSuffix(".kernel") ? "kernel" : nil
        guard let stem else { return nil }
        let name = String(weight.dropLast(stem.count)) + "bias"
        guard let t = checkpoint.tensors.first(where: { $0.name == name }), t.rank == 1, t.shape[0] == length,
              t.dtype.isFloatingPoint else { return nil }
        return t
    }

    /// Reads a tensor use as an element-major (n × m) Double matrix, rows permuted so that row
    /// g holds element g: `rowOfElement[g]` is the file row of element g. With `count`, the
    /// use's elements are `count` rows from its `elementOffset` (a half of a concatenated input).
    public static func elementMajor(_ use: TensorUse, in checkpoint: Checkpoint, rowOfElement: [Int]?, count: Int? = nil) throws -> [Double] {
        let t = try checkpoint.tensor(named: use.name)
        let values = try t.doubleValues()
        let shape = t.shape
        let n = count ?? shape[use.elementAxis], m = shape[use.neuronAxis]
        let offset = use.elementOffset ?? 0
        let strides = Tensor.contiguousStrides(shape)
        let base = (use.instance ?? 0) * (shape.count == 3 ? strides[0] : 0)
        let es = strides[use.elementAxis], ns = strides[use.neuronAxis]
        // Already element-major, in order: the values themselves.
        if rowOfElement == nil, ns == 1, es == m, base == 0, offset == 0, values.count == n * m { return values }
        return values.withUnsafeBufferPointer { v in
            [Double](unsafeUninitializedCapacity: n * m) { out, initialized in
                for g in 0..<n {
                    let row = v.baseAddress! + base + (offset + (rowOfElement?[g] ?? g)) * es
                    for i in 0..<m { out[g * m + i] = row[i * ns] }
                }
                initialized = n * m
            }
        }
    }
}
