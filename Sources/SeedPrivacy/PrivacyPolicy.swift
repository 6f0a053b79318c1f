import Foundation
import Yams

/// Which operator applies to which type, what is detected, and how sure a detection must be. Built from
/// a YAML policy file and/or command-line `--operator TYPE=OP` settings:
///
/// ```yaml
/// threshold: 0.5            # detections below this confidence are dropped
/// realistic: false          # format-preserving fakes instead of <TYPE_N> for pseudonymize
/// default_operator: pseudonymize
/// operators: {PHONE: "mask:3:4", CREDIT_CARD: redact, US_SSN: hash}
/// disable: [PERSON]
/// recognizers:
///   - name: employee id
///     type: EMPLOYEE_ID
///     pattern: 'EMP-[0-9]{6}'
///     validator: luhn       # luhn, iban, cn_id, verhoeff, ssn, nino
///     context: [employee, staff]
///     confidence: 0.9
///     operator: redact
/// ```
public struct PrivacyPolicy: Sendable {
    public var operators: [EntityType: Operator] = [:]
    public var defaultOperator: Operator = .pseudonymize
    public var realistic = false
    public var threshold = 0.5
    public var disabled: Set<EntityType> = []
    public var customRecognizers: [CustomRecognizer] = []

    public init() {}

    /// Runs for every detected value: most policies set no per-type operators, and then no lookup is made.
    public func operatorFor(_ type: EntityType) -> Operator { operators.isEmpty ? defaultOperator : operators[type] ?? defaultOperator }

    /// Whether any type may end up pseudonymized or hashed, which needs the vault key.
    public var needsKey: Bool { defaultOperator.needsKey || operators.values.contains(where: \.needsKey) }
    public var needsVault: Bool { defaultOperator == .pseudonymize || operators.values.contains(.pseudonymize) }

    /// Every type this policy knows: the built-in ones and its custom recognizers' ones.
    public var knownTypes: [EntityType] { EntityType.builtIn + customRecognizers.map(\.type).filter { !EntityType.builtIn.contains($0) } }

    /// Applies `TYPE=OP` (or `ALL=OP` for every type without its own setting).
    public mutating func setOperator(_ assignment: String) throws {
        let parts = assignment.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw PrivacyError.invalidOperator(assignment, reason: "write TYPE=OPERATOR, e.g. PHONE=mask") }
        let op = try Operator(parsing: parts[1])
        let name = parts[0].uppercased()
        if name == "ALL" || name == "*" {
            defaultOperator = op
            operators = [:]
        } else {
            guard EntityType.isValidName(name) else { throw PrivacyError.invalidOperator(assignment, reason: "`\(parts[0])` is not a type name") }
            operators[EntityType(name)] = op
        }
    }

    /// Reads a policy file; unknown keys are errors so that a typo never silently weakens a policy.
    public static func load(path: String) throws -> PrivacyPolicy {
        guard let data = FileManager.default.contents(atPath: path) else { throw PrivacyError.invalidPolicy(path: path, reason: "the file cannot be read") }
        return try parse(String(decoding: data, as: UTF8.self), path: path)
    }

    public static func parse(_ yaml: String, path: String = "policy") throws -> PrivacyPolicy {
        func fail(_ reason: String) -> PrivacyError { .invalidPolicy(path: path, reason: reason) }
        let loaded: Any?
        do { loaded = try Yams.load(yaml: yaml) } catch { throw fail("not valid YAML: \(error)") }
        guard let root = loaded as? [String: Any] else { throw fail("the top level must be a mapping") }
        var policy = PrivacyPolicy()
        let allowed: Set<String> = ["threshold", "realistic", "default_operator", "operators", "disable", "recognizers"]
        if let unknown = root.keys.first(where: { !allowed.contains($0) }) { throw fail("unknown key `\(unknown)` (allowed: \(allowed.sorted().joined(separator: ", ")))") }
        if let t = root["threshold"] {
            guard let v = number(t), (0...1).contains(v) else { throw fail("threshold must be a number from 0 to 1") }
            policy.threshold = v
        }
        if let r = root["realistic"] {
            guard let v = r as? Bool else { throw fail("realistic must be true or false") }
            policy.realistic = v
        }
        if let d = root["default_operator"] {
            policy.defaultOperator = try Operator(parsing: "\(d)")
        }
        if let ops = root["operators"] {
            guard let map = ops as? [String: Any] else { throw fail("operators must map TYPE to an operator") }
            for (type, op) in map { try policy.setOperator("\(type)=\(op)") }
        }
        if let d = root["disable"] {
            guard let list = d as? [Any] else { throw fail("disable must be a list of type names") }
            policy.disabled = Set(list.map { EntityType("\($0)".uppercased()) })
        }
        if let r = root["recognizers"] {
            guard let list = r as? [[String: Any]] else { throw fail("recognizers must be a list of mappings") }
            let keys: Set<String> = ["name", "type", "pattern", "validator", "context", "confidence", "operator"]
            for (k, item) in list.enumerated() {
                let name = item["name"].map { "\($0)" } ?? "#\(k + 1)"
                if let unknown = item.keys.first(where: { !keys.contains($0) }) { throw fail("recognizer \(name): unknown key `\(unknown)`") }
                guard let typeName = item["type"].map({ "\($0)".uppercased() }), EntityType.isValidName(typeName) else {
                    throw fail("recognizer \(name): `type` must be a name such as EMPLOYEE_ID")
                }
                guard let pattern = item["pattern"] as? String, !pattern.isEmpty else { throw fail("recognizer \(name): `pattern` is required") }
                var validator: CustomRecognizer.Validator?
                if let v = item["validator"] {
                    guard let parsed = CustomRecognizer.Validator(rawValue: "\(v)".lowercased()) else {
                        throw fail("recognizer \(name): validator must be one of \(CustomRecognizer.Validator.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    validator = parsed
                }
                let context = (item["context"] as? [Any])?.map { "\($0)" } ?? []
                var confidence = 0.9
                if let c = item["confidence"] {
                    guard let v = number(c), (0...1).contains(v) else { throw fail("recognizer \(name): confidence must be from 0 to 1") }
                    confidence = v
                }
                let type = EntityType(typeName)
                policy.customRecognizers.append(try CustomRecognizer(name: name, type: type, pattern: pattern, validator: validator,
                                                                     context: context, confidence: confidence))
                if let op = item["operator"] { policy.operators[type] = try Operator(parsing: "\(op)") }
            }
        }
        return policy
    }

    private static func number(_ value: Any) -> Double? {
        if let d = value as? Double { return d }
        if let i = value as? Int { return Double(i) }
        return nil
    }
}
