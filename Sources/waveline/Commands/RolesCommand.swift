import ArgumentParser
import WavelineCore

/// `waveline roles`: the permission table, from the code that enforces it.
struct RolesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roles",
        abstract: "Print the roles and what each may do.",
        discussion: "`waveline roles --markdown > docs/roles.md` regenerates the committed document."
    )
    @Flag(help: "Print docs/roles.md (Markdown).") var markdown = false

    func run() throws {
        print(markdown ? RolesDocument.markdown : RolesDocument.text, terminator: "")
    }
}
