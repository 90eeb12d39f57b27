import Foundation

extension Tensor {
    /// The view selected by NumPy basic slicing, `spec` = "[i, a:b, ::-1, …]": an integer picks
    /// one index (the axis is dropped), `start:stop:step` a range (each part optional, negative
    /// values count from the end, step ≠ 0), missing trailing axes are taken whole. No value is
    /// copied. Errors name the file, the tensor and its shape.
    public func sliced(_ spec: String, path: String) throws -> Tensor {
        func fail(_ why: String) -> CheckpointError {
            CheckpointError(path: path, "tensor '\(name)' \(shape): \(why) in '\(spec)'")
        }
        guard spec.hasPrefix("["), spec.hasSuffix("]") else { throw fail("a slice is written [i, a:b, …]") }
        let body = spec.dropFirst().dropLast()
        let parts = body.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count <= rank else { throw fail("\(parts.count) indices for \(rank) dimensions") }
        var newShape: [Int] = [], newStrides: [Int] = []
        var off = offset
        func number(_ s: String) throws -> Int? {
            if s.isEmpty { return nil }
            guard let v = Int(s) else { throw fail("'\(s)' is not an integer") }
            return v
        }
        for (axis, part) in parts.enumerated() {
            let n = shape[axis], st = strides[axis]
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            if pieces.count == 1 {
                guard var i = try number(pieces[0]) else { throw fail("an empty index for axis \(axis)") }
                if i < 0 { i += n }
                guard i >= 0, i < n else { throw fail("index \(pieces[0]) out of range for axis \(axis) of length \(n)") }
                let (d, o1) = i.multipliedReportingOverflow(by: st)
                let (no, o2) = off.addingReportingOverflow(d)
                guard !o1, !o2 else { throw fail("an offset that overflows") }
                off = no
                continue
            }
            guard pieces.count <= 3 else { throw fail("'\(part)' has more than two ':'") }
            let step = try number(pieces.count == 3 ? pieces[2] : "") ?? 1
            guard step != 0 else { throw fail("step 0 for axis \(axis)") }
            // Python's slice.indices: clamp start and stop to the axis.
            func clamp(_ v: Int?, _ def: Int) -> Int {
                guard var v else { return def }
                if v < 0 { v += n }
                return step > 0 ? min(max(v, 0), n) : min(max(v, -1), n - 1)
            }
            let start = clamp(try number(pieces[0]), step > 0 ? 0 : n - 1)
            let stop = clamp(try number(pieces[1]), step > 0 ? n : -1)
            let count = step > 0 ? max(0, (stop - start + step - 1) / step) : max(0, (start - stop - step - 1) / (-step))
            if count > 0 {
                let (d, o1) = start.multipliedReportingOverflow(by: st)
                let (no, o2) = off.addingReportingOverflow(d)
                guard !o1, !o2 else { throw fail("an offset that overflows") }
                off = no
            }
            let (ns, o3) = st.multipliedReportingOverflow(by: step)
            guard !o3 else { throw fail("a stride that overflows") }
            newShape.append(count); newStrides.append(ns)
        }
        for axis in parts.count..<rank { newShape.append(shape[axis]); newStrides.append(strides[axis]) }
        guard off >= 0 || newShape.contains(0) else { throw fail("a view before the storage") }
        // A negative step starts at the last element: shift so that element (0,…,0) is `off`.
        return try Tensor(name: name + spec, dtype: dtype, shape: newShape, strides: newStrides, offset: max(off, 0),
                          source: source, storageStart: storageStart, storageLength: storageLength, byteOrder: byteOrder)
    }
}
