import Foundation
import SeedModel
import SeedTokenizer

/// A model folder ready to serve: the weights, the tokenizer, and how chats become prompts.
public final class ServedModel: @unchecked Sendable {
    public let name: String
    public let model: LlamaModel
    public let tokenizer: Tokenizer
    /// Unix time the model was loaded, reported as `created` by /v1/models.
    public let created: Int
    /// Tokens that end an answer: end of text, and end of turn for chats.
    let endOfTextTokens: Set<Int32>
    let endOfTurnToken: Int32?
    let chatFormat: ChatFormat

    /// How chats become prompts. A tokenizer with ChatML's tokens gets the template the model was tuned on;
    /// a byte-level model has no special tokens, so its chat is plain lines `role: content` followed by
    /// `assistant: `, and a new line starting with a role ends the answer.
    enum ChatFormat {
        case chatML
        case plainText
    }

    public init(model: LlamaModel, tokenizer: Tokenizer, name: String) {
        self.name = name
        self.model = model
        self.tokenizer = tokenizer
        created = Int(Date().timeIntervalSince1970)
        var ends = Set<Int32>()
        if let eos = model.config.eosTokenId { ends.insert(Int32(eos)) }
        if let eos = tokenizer.endOfTextId { ends.insert(eos) }
        endOfTextTokens = ends
        endOfTurnToken = tokenizer.specialTokenId(ChatTemplate.endToken)
        chatFormat = tokenizer.specialTokenId(ChatTemplate.startToken) != nil && endOfTurnToken != nil ? .chatML : .plainText
    }

    /// Loads a run or model folder (config.json, model.safetensors, tokenizer.json unless byte-level).
    public static func load(folder: URL, name: String? = nil) throws -> ServedModel {
        let model = try ModelFolder.load(folder)
        let tokenizer = try Tokenizer.load(modelFolder: folder, vocabularySize: model.config.vocabSize)
        return ServedModel(model: model, tokenizer: tokenizer, name: name ?? folder.standardizedFileURL.lastPathComponent)
    }

    public var context: Int { model.config.context }

    /// The text that lm-eval and other clients read from /tokenizer_info as the end token.
    var endOfTextString: String? {
        tokenizer.endOfTextId.map { tokenizer.decode([$0], skipSpecialTokens: false) }
    }

    /// The prompt tokens of a chat, ending where the assistant's answer starts.
    /// `addGenerationPrompt`: end with the opening of the assistant's turn, as a chat request does.
    func chatPrompt(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) throws -> [Int32] {
        switch chatFormat {
        case .chatML:
            return try ChatTemplate.encode(messages, with: tokenizer, addGenerationPrompt: addGenerationPrompt).ids
        case .plainText:
            return tokenizer.encode(plainTextChat(messages, addGenerationPrompt: addGenerationPrompt))
        }
    }

    func plainTextChat(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String {
        messages.map { "\($0.role): \($0.content)\n" }.joined() + (addGenerationPrompt ? "assistant: " : "")
    }

    /// Stop tokens and strings that end a chat answer, beyond those of the request.
    var chatStops: (tokens: Set<Int32>, strings: [String]) {
        switch chatFormat {
        case .chatML: return (endOfTextTokens.union(endOfTurnToken.map { [$0] } ?? []), [])
        case .plainText: return (endOfTextTokens, ["\nuser:", "\nsystem:", "\nassistant:"])
        }
    }

    /// Each token's own text, as `logprobs` lists it; a token that is part of a character shows as U+FFFD.
    func tokenText(_ token: Int32) -> String {
        tokenizer.decode([token], skipSpecialTokens: false)
    }
}
