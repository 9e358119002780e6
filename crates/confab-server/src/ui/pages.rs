//! The pages' HTML, written with maud: every interpolated value is escaped by the
//! template engine, and no page has inline script or style (the Content-Security-Policy
//! forbids both).

use maud::{DOCTYPE, Markup, html};

use super::csrf;

/// A whole page around `body`.
fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · confab" }
            }
            body { main { (body) } }
        }
    }
}

/// The login form; `error` is shown above it, `name` refilled.
pub fn login(csrf_token: &str, name: &str, error: Option<&str>) -> Markup {
    layout(
        "Log in",
        html! {
            h1 { "Log in to confab" }
            @if let Some(error) = error {
                p role="alert" { (error) }
            }
            form method="post" action="/login" {
                input type="hidden" name=(csrf::FIELD) value=(csrf_token);
                p {
                    label for="name" { "Name" }
                    " "
                    input id="name" name="name" type="text" autocomplete="username"
                        required value=(name);
                }
                p {
                    label for="password" { "Password" }
                    " "
                    input id="password" name="password" type="password"
                        autocomplete="current-password" required;
                }
                p { button type="submit" { "Log in" } }
            }
        },
    )
}

/// A refusal: what went wrong, and the way back to the login page.
pub fn refused(title: &str, message: &str) -> Markup {
    layout(
        title,
        html! {
            h1 { (title) }
            p { (message) }
            p { a href="/login" { "Back to the login page" } }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped() {
        let page = login("tok", "<script>alert(1)</script>", Some("a & b")).into_string();
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("&lt;script&gt;"));
        assert!(page.contains("a &amp; b"));
    }
}
