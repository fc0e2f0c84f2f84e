/// A reusable runbook, read from the catalog directory: typed parameters, checks, ordered steps, rollback.
public struct Operation: Sendable, Hashable, Codable {
    public var name: String
    public var description: String
    /// The role a person needs to run it (enforced by access control).
    public var role: String
    /// Whether running a step again after an interruption is safe; if not, an interrupted step pauses the
    /// deployment for a person.
    public var idempotent: Bool
    public var parameters: [Parameter]
    public var preChecks: [Check]
    public var steps: [Step]
    public var postChecks: [Check]
    public var rollback: [Step]

    public init(
        name: String, description: String = "", role: String = "deployer", idempotent: Bool = false,
        parameters: [Parameter] = [], preChecks: [Check] = [], steps: [Step], postChecks: [Check] = [],
        rollback: [Step] = []
    ) {
        self.name = name
        self.description = description
        self.role = role
        self.idempotent = idempotent
        self.parameters = parameters
        self.preChecks = preChecks
        self.steps = steps
        self.postChecks = postChecks
        self.rollback = rollback
    }
}

public struct Parameter: Sendable, Hashable, Codable {
    /// The longest value of any parameter, in UTF-8 bytes: values are checked, stored and shown, so they are
    /// kept to what a parameter needs.
    public static let maximumValueBytes = 4096

    public enum Kind: Sendable, Hashable, Codable {
        case string
        case int
        case bool
        case oneOf([String])
        /// A string that may hold line breaks and tabs (a certificate, a message); other control characters are
        /// refused in it as in every value.
        case multiline
    }

    public var name: String
    public var kind: Kind
    public var required: Bool
    /// Already validated against `kind` and `pattern`.
    public var defaultValue: String?
    /// A regular expression the whole value must match (strings only), in `ValuePattern`'s dialect.
    public var pattern: String?
    public var description: String
    /// `sensitive: true`: the value is stored sealed and shown as `********` everywhere (answers, events, the
    /// deployment's logs, pages); steps still get the real value.
    public var sensitive: Bool

    public init(
        name: String, kind: Kind, required: Bool = false, defaultValue: String? = nil, pattern: String? = nil,
        description: String = "", sensitive: Bool = false
    ) {
        self.name = name
        self.kind = kind
        self.required = required
        self.defaultValue = defaultValue
        self.pattern = pattern
        self.description = description
        self.sensitive = sensitive
    }

    private enum CodingKeys: String, CodingKey {
        case name, kind, required, defaultValue, pattern, description, sensitive
    }

    /// Operations stored before `sensitive` existed decode as not sensitive.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        kind = try container.decode(Kind.self, forKey: .kind)
        required = try container.decode(Bool.self, forKey: .required)
        defaultValue = try container.decodeIfPresent(String.self, forKey: .defaultValue)
        pattern = try container.decodeIfPresent(String.self, forKey: .pattern)
        description = try container.decode(String.self, forKey: .description)
        sensitive = try container.decodeIfPresent(Bool.self, forKey: .sensitive) ?? false
    }
}

/// What a step or check runs. Parameter values never become shell text: a `shell` script is the catalog
/// author's own text and reads values from environment variables; an `argv` element may be a whole
/// `{{name}}` placeholder, which becomes exactly one argument.
public enum Command: Sendable, Hashable, Codable {
    case argv([String])
    case shell(String)
}

public struct Step: Sendable, Hashable, Codable {
    public var name: String
    public var command: Command
    public var timeout: Duration

    public init(name: String, command: Command, timeout: Duration = .seconds(300)) {
        self.name = name
        self.command = command
        self.timeout = timeout
    }
}

/// A health check: run until it exits 0, at most `retries + 1` times, `interval` apart.
public struct Check: Sendable, Hashable, Codable {
    public var name: String
    public var command: Command
    public var retries: Int
    public var interval: Duration
    public var timeout: Duration

    public init(
        name: String, command: Command, retries: Int = 0, interval: Duration = .seconds(1),
        timeout: Duration = .seconds(30)
    ) {
        self.name = name
        self.command = command
        self.retries = retries
        self.interval = interval
        self.timeout = timeout
    }
}
