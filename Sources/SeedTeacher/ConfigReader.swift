import Foundation
import Yams

/// A YAML value with the dotted path it was found at, so that every complaint names its key:
/// `job.generate.temperature: expected a number, got "hot"`.
struct ConfigNode {
    let value: Any
    let path: String

    static func load(yaml: String, path: String) throws -> ConfigNode {
        let loaded: Any?
        do {
            loaded = try Yams.load(yaml: yaml)
        } catch {
            throw TeacherError.config(key: path, reason: "not valid YAML: \(String(describing: error).split(separator: "\n").first ?? "")")
        }
        return ConfigNode(value: loaded ?? [String: Any](), path: "")
    }

    func fail(_ reason: String) -> TeacherError { .config(key: path.isEmpty ? "(top level)" : path, reason: reason) }

    private func child(_ key: String, _ value: Any) -> ConfigNode { ConfigNode(value: value, path: path.isEmpty ? key : "\(path).\(key)") }

    /// The mapping's entries; a key outside `allowed` is an error, so that a typo is never silently ignored.
    func mapping(allowed: [String]? = nil) throws -> [String: ConfigNode] {
        guard let map = value as? [String: Any] else { throw fail("expected a mapping, got \(Self.show(value))") }
        var result: [String: ConfigNode] = [:]
        for key in map.keys.sorted() {
            if let allowed, !allowed.contains(key) {
                throw child(key, map[key]!).fail("unknown key (allowed here: \(allowed.joined(separator: ", ")))")
            }
            if !(map[key]! is NSNull) { result[key] = child(key, map[key]!) }
        }
        return result
    }

    func list() throws -> [ConfigNode] {
        guard let items = value as? [Any] else { throw fail("expected a list, got \(Self.show(value))") }
        return items.enumerated().map { ConfigNode(value: $1, path: "\(path)[\($0)]") }
    }

    func string() throws -> String {
        guard let s = value as? String else { throw fail("expected a string, got \(Self.show(value))") }
        return s
    }

    func double(in range: ClosedRange<Double>? = nil) throws -> Double {
        let v: Double
        if let d = value as? Double { v = d } else if let i = value as? Int { v = Double(i) } else {
            throw fail("expected a number, got \(Self.show(value))")
        }
        if let range, !range.contains(v) { throw fail("expected a number from \(Self.show(range.lowerBound)) to \(Self.show(range.upperBound)), got \(Self.show(v))") }
        return v
    }

    func int(in range: ClosedRange<Int>? = nil) throws -> Int {
        guard let v = value as? Int else { throw fail("expected a whole number, got \(Self.show(value))") }
        if let range, !range.contains(v) { throw fail("expected a whole number from \(range.lowerBound) to \(range.upperBound), got \(v)") }
        return v
    }

    func bool() throws -> Bool {
        guard let b = value as? Bool else { throw fail("expected true or false, got \(Self.show(value))") }
        return b
    }

    /// A string or a list of strings.
    func strings() throws -> [String] {
        if let s = value as? String { return [s] }
        return try list().map { try $0.string() }
    }

    /// Any YAML value as JSON (for free-form fields such as `response_format`).
    func json() throws -> JSONValue {
        switch value {
        case is NSNull: return .null
        case let b as Bool: return .bool(b)
        case let i as Int: return .int(Int64(i))
        case let d as Double: return .double(d)
        case let s as String: return .string(s)
        case is [Any]: return .array(try list().map { try $0.json() })
        case is [String: Any]: return .object(try mapping().mapValues { try $0.json() })
        default: throw fail("unsupported value \(Self.show(value))")
        }
    }

    static func show(_ value: Any) -> String {
        switch value {
        case let s as String: return "\"\(s)\""
        case let d as Double: return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
        case is [Any]: return "a list"
        case is [String: Any]: return "a mapping"
        case is NSNull: return "nothing"
        default: return "\(value)"
        }
    }
}
