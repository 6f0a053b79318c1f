import Foundation

/// One turn of a conversation, in OpenAI's `messages` shape.
public struct ChatMessage: Codable, Sendable, Equatable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// ChatML, the chat format of Qwen and of OpenAI's own early chat models:
/// `<|im_start|>role\ncontent<|im_end|>\n` per message. Its two special tokens exist in every tokenizer that
/// `seed tokenizer train` makes, and Hugging Face's `apply_chat_template` renders the same text from `jinja`.
public enum ChatTemplate {
    public static let startToken = "<|im_start|>"
    public static let endToken = "<|im_end|>"

    /// The same template for `tokenizer_config.json`, so that transformers and vLLM format chats as Seed does.
    public static let jinja = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"

    public static func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = false) -> String {
        var text = ""
        for message in messages { text += startToken + message.role + "\n" + message.content + endToken + "\n" }
        if addGenerationPrompt { text += startToken + "assistant\n" }
        return text
    }

    /// Token ids of a conversation and, for supervised fine-tuning, which of them the model should learn
    /// to produce: the assistant's words and the end token that closes its turn.
    public struct Encoded: Equatable, Sendable {
        public var ids: [Int32]
        public var assistantMask: [Bool]
    }

    /// Encodes the conversation as `encode(render(messages), allowedSpecial: the two ChatML tokens)` would, while
    /// treating any special-token text inside the messages as plain text, so that a message cannot forge a turn.
    public static func encode(_ messages: [ChatMessage], with tokenizer: Tokenizer, addGenerationPrompt: Bool = false) throws -> Encoded {
        guard let start = tokenizer.specialTokenId(startToken) else { throw TokenizerError.unknownSpecialToken(startToken) }
        guard let end = tokenizer.specialTokenId(endToken) else { throw TokenizerError.unknownSpecialToken(endToken) }
        var result = Encoded(ids: [], assistantMask: [])
        func append(_ text: String, learnedFrom contentStart: Int?) {
            let ids = tokenizer.encode(text)
            var end = 0
            for id in ids {
                end += tokenizer.model.bytes(of: id).count
                result.ids.append(id)
                // A token that reaches into the content is learned, even if it also holds the role's newline.
                result.assistantMask.append(contentStart.map { end > $0 } ?? false)
            }
        }
        for message in messages {
            let isAssistant = message.role == "assistant"
            result.ids.append(start)
            result.assistantMask.append(false)
            append(message.role + "\n" + message.content, learnedFrom: isAssistant ? message.role.utf8.count + 1 : nil)
            result.ids.append(end)
            result.assistantMask.append(isAssistant)
            append("\n", learnedFrom: nil)
        }
        if addGenerationPrompt {
            result.ids.append(start)
            result.assistantMask.append(false)
            append("assistant\n", learnedFrom: nil)
        }
        return result
    }
}
