import Foundation
import Hummingbird
import SeedTokenizer

/// vLLM's tokenizer endpoints, which lm-evaluation-harness's `tokenizer_backend=remote` calls so that it
/// counts tokens exactly as the server does without downloading a tokenizer: `GET /tokenizer_info`,
/// `POST /tokenize` and `POST /detokenize`. Special-token text is recognised when tokenizing a prompt, as
/// Hugging Face tokenizers do, because clients find the end token's id by tokenizing its text.
struct TokenizerEndpoints: Sendable {
    let served: ServedModel

    func info() -> Response {
        var body: [String: Any] = [
            "tokenizer_class": "SeedTokenizer",
            "model_max_length": served.context,
            "vocab_size": served.model.config.vocabSize,
            "eos_token": served.endOfTextString ?? NSNull(),
            "bos_token": NSNull(),
            "pad_token": NSNull(),
        ]
        if served.chatFormat == .chatML { body["chat_template"] = ChatTemplate.jinja }
        return JSONResponse.ok((try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data())
    }

    func tokenize(_ data: Data) throws -> Response {
        let request = try RequestDecoding.decode(TokenizeRequest.self, from: data)
        let tokens: [Int32]
        if let messages = request.messages {
            let chat = messages.map { ChatMessage(role: $0.role, content: $0.content?.text ?? "") }
            // vLLM's default, as a chat request renders it.
            tokens = try served.chatPrompt(chat, addGenerationPrompt: request.addGenerationPrompt ?? true)
        } else if let prompt = request.prompt {
            tokens = served.tokenizer.encode(prompt, allowedSpecial: .all, addingSpecialTokens: request.addSpecialTokens ?? false)
        } else {
            throw APIError.invalidRequest("Send 'prompt' (a string) or 'messages'.", param: "prompt")
        }
        return JSONResponse.ok(ResponseJSON.encode(Tokenized(tokens: tokens, count: tokens.count, maxModelLen: served.context)))
    }

    func detokenize(_ data: Data) throws -> Response {
        let request = try RequestDecoding.decode(DetokenizeRequest.self, from: data)
        let vocabulary = served.model.config.vocabSize
        if let bad = request.tokens.first(where: { $0 < 0 || Int($0) >= vocabulary }) {
            throw APIError.invalidRequest("Token id \(bad) is outside the model's vocabulary of \(vocabulary).", param: "tokens")
        }
        return JSONResponse.ok(ResponseJSON.encode(["prompt": served.tokenizer.decode(request.tokens, skipSpecialTokens: false)]))
    }

    private struct Tokenized: Encodable {
        var tokens: [Int32]
        var count: Int
        var maxModelLen: Int
        enum CodingKeys: String, CodingKey { case tokens, count, maxModelLen = "max_model_len" }
    }
}
