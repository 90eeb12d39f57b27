import Checkpoints
import Foundation
import Groups

/// The group of a checkpoint when it says so itself: a metadata entry naming the group
/// (`config.group = "C_71"`, `group`, `group_name`, as the example trainers and many others
/// record it), else an element axis of prime length p shared by the weight matrices (only
/// C_p has prime order).
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

    /// The group to analyze when none was given, with a sentence saying how it was found.
    public static func infer(from ck: Checkpoint) -> (name: String, how: String)? {
        if let r = recorded(in: ck) { return (r.name, "the checkpoint's metadata \(r.key) names \(r.name)") }
        // Every floating-point matrix has an axis of the same prime length p: C_p.
        let mats = ck.tensors.filter { $0.dtype.isFloatingPoint && $0.rank >= 2 }
        guard let first = mats.first else { return nil }
        let candidates = Set(first.shape.filter(isPrime)).filter { p in mats.allSatisfy { $0.shape.contains(p) } }
        guard candidates.count == 1, let p = candidates.first, p > 2 else { return nil }
        return ("C\(p)", "every weight matrix has an axis of prime length \(p), and only C_\(p) has prime order \(p)")
    }
}
