import Foundation

/// The stub's answers: deterministic functions of the request, shaped like OpenAI's.
struct StubReply {
    var chat: Bool
    var model: String
    var texts: [String]
    var finishReasons: [String]
    var logprobs: [[[String: Any]]?]
    var usage: (Int, Int)
    /// The last user message (or the prompt): what the tests count answers by.
    var promptKey: String

    static let created = 1_700_000_000

    var object: [String: Any] {
        let choices: [[String: Any]] = texts.indices.map { k in
            var c: [String: Any] = ["index": k, "finish_reason": finishReasons[k]]
            if chat {
                c["message"] = ["role": "assistant", "content": texts[k]]
                c["logprobs"] = logprobs[k].map { ["content": $0] as Any } ?? NSNull()
            } else {
                c["text"] = texts[k]
                c["logprobs"] = NSNull()
            }
            return c
        }
        return ["id": "chatcmpl-stub", "object": chat ? "chat.completion" : "text_completion", "created": Self.created, "model": model,
                "system_fingerprint": "fp_stub", "choices": choices, "usage": usageObject]
    }

    var usageObject: [String: Any] { ["prompt_tokens": usage.0, "completion_tokens": usage.1, "total_tokens": usage.0 + usage.1] }

    /// Server-sent events: a chunk per word, the finish reason, the usage chunk when asked for, `[DONE]`.
    func sse(includeUsage: Bool) -> String {
        var out = ""
        func event(_ object: [String: Any]) {
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
            out += "data: " + String(decoding: data, as: UTF8.self) + "\n\n"
        }
        let base: [String: Any] = ["id": "chatcmpl-stub", "object": chat ? "chat.completion.chunk" : "text_completion", "created": Self.created,
                                   "model": model, "system_fingerprint": "fp_stub"]
        for (k, text) in texts.enumerated() {
            let words = text.split(separator: " ", omittingEmptySubsequences: false)
            for (w, word) in words.enumerated() {
                let piece = (w == 0 ? "" : " ") + word
                var choice: [String: Any] = ["index": k, "finish_reason": NSNull()]
                if chat {
                    choice["delta"] = w == 0 ? ["role": "assistant", "content": piece] : ["content": piece]
                    if let lp = logprobs[k], w < lp.count { choice["logprobs"] = ["content": [lp[w]]] }
                } else {
                    choice["text"] = piece
                }
                var chunk = base
                chunk["choices"] = [choice]
                chunk["usage"] = NSNull()
                event(chunk)
            }
            var last = base
            last["choices"] = [["index": k, "finish_reason": finishReasons[k], chat ? "delta" : "text": chat ? [String: Any]() : ""] as [String: Any]]
            event(last)
        }
        if includeUsage {
            var chunk = base
            chunk["choices"] = [Any]()
            chunk["usage"] = usageObject
            event(chunk)
        }
        out += "data: [DONE]\n\n"
        return out
    }
}

enum StubAnswers {
    static func error(_ message: String, type: String, code: String?) -> [String: Any] {
        ["error": ["message": message, "type": type, "param": NSNull(), "code": code.map { $0 as Any } ?? NSNull()] as [String: Any]]
    }

    static func reply(to request: [String: Any], chat: Bool, behaviour: StubTeacher.Behaviour) -> StubReply {
        let messages = (request["messages"] as? [[String: Any]]) ?? []
        let contents = chat ? messages.map { ($0["role"] as? String ?? "", $0["content"] as? String ?? "") } : [("", request["prompt"] as? String ?? "")]
        let last = chat ? (contents.last(where: { $0.0 == "user" })?.1 ?? "") : contents.first?.1 ?? ""
        let maxTokens = request["max_completion_tokens"] as? Int ?? request["max_tokens"] as? Int ?? 16
        let n = behaviour.supportsN ? max(1, request["n"] as? Int ?? 1) : 1
        let wantsJSON = ((request["response_format"] as? [String: Any])?["type"] as? String).map { $0 != "text" } ?? false
        var texts: [String] = []
        var reasons: [String] = []
        var logprobs: [[[String: Any]]?] = []
        var completion = 0
        for k in 0..<n {
            var text = wantsJSON && !behaviour.ignoresResponseFormat ? "{\"ok\": true}" : content(for: last, choice: k)
            var words = text.split(separator: " ").map(String.init)
            var reason = "stop"
            if words.count > maxTokens {
                words = Array(words.prefix(maxTokens))
                text = words.joined(separator: " ")
                reason = "length"
            }
            if behaviour.worstCaseUsage {
                while words.count < maxTokens { words.append("more") }
                text = words.joined(separator: " ")
                reason = "length"
            }
            completion += words.count
            if !chat && behaviour.supportsEcho && request["echo"] as? Bool == true { text = last + text }
            texts.append(text)
            reasons.append(reason)
            if request["logprobs"] as? Bool == true {
                let k = min(request["top_logprobs"] as? Int ?? 0, behaviour.maxTopLogprobs)
                logprobs.append(words.enumerated().map { i, word in
                    let token = i == 0 ? word : " " + word
                    let alternatives: [[String: Any]] = (0..<k).map { a in
                        let alt = a == 0 ? token : token + "\(a)"
                        return ["token": alt, "logprob": -Double(a) - 0.25, "bytes": Array(alt.utf8).map(Int.init)]
                    }
                    return ["token": token, "logprob": -0.25, "bytes": Array(token.utf8).map(Int.init), "top_logprobs": alternatives]
                })
            } else {
                logprobs.append(nil)
            }
        }
        let prompt: Int
        if behaviour.worstCaseUsage {
            // Seed's own upper bound (bytes, 8 per message, 32 per request): usage exactly at the reservation.
            prompt = contents.reduce(32) { $0 + (chat ? 8 : 0) + $1.0.utf8.count + $1.1.utf8.count }
        } else {
            prompt = contents.reduce(3) { $0 + 4 + $1.1.split(separator: " ").count }
        }
        return StubReply(chat: chat, model: request["model"] as? String ?? "", texts: texts, finishReasons: reasons, logprobs: logprobs,
                         usage: (prompt, completion), promptKey: last)
    }

    /// What the stub says: a judge's score, new tasks for Self-Instruct, a rewrite for Evol-Instruct, or an answer.
    static func content(for prompt: String, choice: Int) -> String {
        let h = fnv(prompt) &+ UInt64(choice)
        if prompt.hasPrefix("Rate how well") {
            return String(1 + h % 10)
        }
        if prompt.hasPrefix("Come up with a series of tasks:") {
            return (0..<4).map { k -> String in
                let g = fnv("\(prompt)#\(k)")
                let task = "Explain how \(words[Int(g % 97) % words.count]) changes \(words[Int(g / 97 % 89) % words.count]) for \(words[Int(g / 8633 % 83) % words.count]) \(words[Int(g / 716_539 % 79) % words.count]) people today"
                return k == 0 ? " " + task : "\(k + 9). \(task)"
            }.joined(separator: "\n")
        }
        if prompt.hasPrefix("You are a prompt rewriter"), let range = prompt.range(of: "Given prompt:\n") {
            return String(prompt[range.upperBound...]) + " Explain each step and give one example."
        }
        let head = prompt.split(separator: " ").prefix(8).joined(separator: " ")
        return "Answer \(choice) to: \(head) - \(words[Int(h % UInt64(words.count))]) \(words[Int(h / 7 % UInt64(words.count))])."
    }

    static func fnv(_ s: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }

    static let words = ["river", "market", "engine", "garden", "theory", "winter", "library", "signal", "harbor", "protein", "galaxy",
                        "village", "budget", "volcano", "poem", "circuit", "forest", "contract", "melody", "glacier", "network", "recipe",
                        "planet", "archive", "bridge", "desert", "vaccine", "ledger", "orchard", "satellite", "canyon", "festival"]
}
