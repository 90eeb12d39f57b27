import Checkpoints
import Foundation
import Groups

/// The group of a checkpoint when it says so itself: a metadata entry naming the group
/// (`config.group = "C_71"`, `group`, `group_name`, as the example trainers and many others
/// record it), else a modulus in its config (`config.p = 113`, the progress-measures code),
/// else an element axis of prime length p shared by the weight matrices, or by all those with
/// an odd prime axis when a hidden matrix sits between the embeddings (only C_p has prime
/// order).
public enum GroupInference {
    /// The group the checkpoint records in its metadata, if any (its canonical name).
    public static func recorded(in ck: Checkpoint) -> (name: String, key: String)? {
        for key in ["group", "group_name", "groupname", "task_group"] {
            for (k, v) in ck.metadata where k == key || k.hasSuffix("." + key) {
                guard case .string(let s) = v, let g = try? GroupSpec.parse(s) else { continue }
                return (g.description, k)
            }
        }
        return nil
    }

    /// The modulus of a modular-addition trainer's config (`p`, as the progress-measures code
    /// saves it, `config.p = 113`; or `modulus`), when it is an integer n ≥ 2 and some weight
    /// matrix has an axis of length n or n + 1 (the vocabulary with its `=` token): the task is
    /// then C_n.
    public static func recordedModulus(in ck: Checkpoint) -> (n: Int, key: String, axis: Int)? {
        let mats = ck.tensors.filter { $0.dtype.isFloatingPoint && $0.rank >= 2 }
        for key in ["p", "modulus"] {
            for (k, v) in ck.metadata where k == key || k.hasSuffix("." + key) {
                guard case .int(let i) = v, i >= 2, i <= 1 << 20, let n = Int(exactly: i) else { continue }
                if mats.contains(where: { $0.shape.contains(n) }) { return (n, k, n) }
                if mats.contains(where: { $0.shape.contains(n + 1) }) { return (n, k, n + 1) }
            }
        }
        return nil
    }

    /// The group to analyze when none was given, with a sentence saying how it was found.
    public static func infer(from ck: Checkpoint) -> (name: String, how: String)? {
        if let r = recorded(in: ck) { return (r.name, "the checkpoint's metadata \(r.key) names \(r.name)") }
        if let m = recordedModulus(in: ck) {
            return ("C\(m.n)", "the checkpoint's metadata \(m.key) = \(m.n) is a modulus, and a weight axis has length \(m.axis == m.n ? "\(m.n)" : "\(m.axis) = \(m.n) + 1 (the = token)")")
        }
        // Every floating-point matrix has an axis of the same prime length p: C_p.
        let mats = ck.tensors.filter { $0.dtype.isFloatingPoint && $0.rank >= 2 }
        guard let first = mats.first else { return nil }
        let candidates = Set(first.shape.filter(isPrime)).filter { p in mats.allSatisfy { $0.shape.contains(p) } }
        if candidates.count == 1, let p = candidates.first, p > 2 {
            return ("C\(p)", "every weight matrix has an axis of prime length \(p), and only C_\(p) has prime order \(p)")
        }
        // A network with a hidden matrix between its embeddings (the universality study's
        // W_x, W_y (|G|, d), W (2d, m), W_U (m, |G|)): the matrices that carry an odd prime
        // axis all carry the same one p, at least two of them do (an input and an output), and
        // the others have no odd prime axis at all.
        let primeAxes = mats.map { Set($0.shape.filter { $0 > 2 && isPrime($0) }) }
        let carrying = primeAxes.indices.filter { !primeAxes[$0].isEmpty }
        guard carrying.count >= 2, let p = primeAxes[carrying[0]].first, primeAxes[carrying[0]].count == 1,
              carrying.allSatisfy({ primeAxes[$0] == [p] }) else { return nil }
        let names = carrying.map { mats[$0].name }.joined(separator: ", ")
        return ("C\(p)", "the weight matrices \(names) have an axis of prime length \(p), the others none, and only C_\(p) has prime order \(p)")
    }

    /// A hint for a checkpoint whose group cannot be inferred: the axis lengths shared by the
    /// most weight matrices (at least two; at most two lengths, else nil), each with the
    /// matrices that carry it and the named groups of that order
    /// (`GroupIdentification.namedKinds`: C_n, D_{n/2}, S_k, A_k). For the universality study's MLP on D_59: "an axis of length
    /// 118 is shared by W_x, W_y, W_U; groups of that order include C118, D59".
    public static func orderHint(in ck: Checkpoint) -> String? {
        let mats = ck.tensors.filter { $0.dtype.isFloatingPoint && $0.rank >= 2 }
        var carriers: [Int: [String]] = [:]
        for t in mats { for n in Set(t.shape) where n >= 2 { carriers[n, default: []].append(t.name) } }
        guard let most = carriers.values.map(\.count).max(), most >= 2 else { return nil }
        let shared = carriers.filter { $0.value.count == most }.sorted { $0.key < $1.key }
        guard shared.count <= 2 else { return nil }
        let parts = shared.map { entry -> String in
            let (n, names) = (entry.key, entry.value)
            // At most four names (a transformer has many matrices of its width).
            let shown = names.count <= 4 ? names.joined(separator: ", ")
                : names.prefix(3).joined(separator: ", ") + " and \(names.count - 3) more"
            return "an axis of length \(n) is shared by \(shown); groups of that order include \(GroupIdentification.namedKinds(order: n).joined(separator: ", "))"
        }
        return parts.joined(separator: "; ")
    }
}

/// The sparse-parity task of a checkpoint that records it: a metadata entry whose key ends in
/// `task` naming a parity (`config.task = "(10,4)-sparse parity"`, as examples/train writes it),
/// with n and k from the entries `n` and `k` beside it (`config.n`, `config.k`) or else from the
/// first two integers of the task's name, and the support S from `support.0`, `support.1`, …
/// (or a `support` string "0,1,2,3") when it lists k distinct inputs (else the analysis infers S
/// from the weights, docs/networks.md §3).
public enum ParityInference {
    public static func recorded(in ck: Checkpoint) -> (n: Int, k: Int, support: [Int]?, key: String)? {
        func integer(_ key: String) -> Int? {
            for (k, v) in ck.metadata where k == key {
                if case .int(let i) = v { return Int(exactly: i) }
                if case .string(let s) = v { return Int(s.trimmingCharacters(in: .whitespaces)) }
            }
            return nil
        }
        for (key, value) in ck.metadata {
            guard key == "task" || key.hasSuffix(".task"), case .string(let text) = value, text.lowercased().contains("parity") else { continue }
            let prefix = key == "task" ? "" : String(key.dropLast(4))
            let numbers = text.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
            guard let n = integer(prefix + "n") ?? numbers.first,
                  let k = integer(prefix + "k") ?? (numbers.count > 1 ? numbers[1] : nil) else { continue }
            var support: [Int] = []
            while let s = integer("\(prefix)support.\(support.count)"), support.count <= k { support.append(s) }
            if support.isEmpty {
                for (sk, sv) in ck.metadata where sk == prefix + "support" {
                    if case .string(let s) = sv { support = s.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) } }
                }
            }
            let valid = support.count == k && Set(support).count == k && support.allSatisfy { $0 >= 0 && $0 < n }
            return (n, k, valid ? support.sorted() : nil, key)
        }
        return nil
    }
}
