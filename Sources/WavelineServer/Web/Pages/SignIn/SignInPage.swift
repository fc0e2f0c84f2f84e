/// The sign-in form: user name and password, then back to the page the person asked for.
enum SignInPage {
    static func render(next: String, user: String, problem: String?, viewer: Viewer) -> HTML {
        let alert: HTML = problem.map { "<p class=\"flash flash-error\" role=\"alert\" id=\"sign-in-problem\">\($0)</p>" } ?? .empty
        return Layout.page(title: "Sign in", viewer: viewer, current: "/login", body: """
            <h1>Sign in</h1>
            \(alert)
            <form class="sign-in" method="post" action="/login">
            <input type="hidden" name="next" value="\(next)">
            <p><label for="user">User name</label><br>
            <input id="user" name="user" type="text" value="\(user)" autocomplete="username" required autofocus maxlength="64"></p>
            <p><label for="password">Password</label><br>
            <input id="password" name="password" type="password" autocomplete="current-password" required></p>
            <p><button type="submit" class="button primary" id="sign-in">Sign in</button></p>
            </form>
            <p class="hint">No account? An admin makes one with <code>waveline users add</code>. The command line signs in with <code>waveline login</code>.</p>
            """)
    }
}
