//! The share panel of a survey: its public link, the QR code of its kiosk link, and the
//! widget snippet — anonymous, and for signed-in customers with the server-side signing
//! that `/w/…/prompt` checks (hex HMAC-SHA256 of the customer id, keyed with the
//! workspace's widget secret; see `pages::widget`). The secret itself is shown to admins
//! only, as on the settings page.

use crate::auth::SignedIn;
use crate::pages::{internal, PageError};
use crate::state::AppState;
use advocate_core::Permission::Administer;
use advocate_store::models::Survey;

/// The example customer id of the snippets.
const EXAMPLE_CUSTOMER: &str = "c-1001";

pub struct SharePanel {
    /// The public link, absolute.
    pub link: String,
    /// The link behind the QR code (answers through it count as the kiosk channel).
    pub kiosk_link: String,
    pub qr_svg: String,
    pub qr_png: String,
    /// The widget for anonymous visitors.
    pub widget: String,
    /// The widget for a signed-in customer, signature made on the server.
    pub widget_signed: String,
    /// The widget secret, for admins; `None` for everyone else.
    pub secret: Option<String>,
    /// Making `data-signature` on the server, in Python and in Node.
    pub sign_python: String,
    pub sign_node: String,
}

pub(super) async fn share_panel(
    state: &AppState,
    who: &SignedIn,
    survey: &Survey,
) -> Result<SharePanel, PageError> {
    let base = state.store.public_url().trim_end_matches('/').to_owned();
    let id = &survey.public_id;
    let secret = if who.role.grants(Administer) {
        Some(
            state
                .store
                .workspaces()
                .widget_secrets(who.workspace_id, chrono::Utc::now())
                .await
                .map_err(internal)?
                .secret,
        )
    } else {
        None
    };
    let key = secret.as_deref().unwrap_or("YOUR_WIDGET_SECRET");
    Ok(SharePanel {
        link: format!("{base}/s/{id}"),
        kiosk_link: format!("{base}/s/{id}?c=kiosk"),
        qr_svg: format!("/s/{id}/qr.svg"),
        qr_png: format!("/s/{id}/qr.png"),
        widget: format!(r#"<script src="{base}/widget.js" data-survey="{id}" async></script>"#),
        widget_signed: format!(
            r#"<script src="{base}/widget.js" data-survey="{id}" data-customer="{EXAMPLE_CUSTOMER}" data-signature="SIGNATURE" async></script>"#
        ),
        sign_python: format!(
            "import hmac, hashlib\n\
             WIDGET_SECRET = \"{key}\"  # keep it on your server\n\
             signature = hmac.new(WIDGET_SECRET.encode(), \"{EXAMPLE_CUSTOMER}\".encode(), hashlib.sha256).hexdigest()"
        ),
        sign_node: format!(
            "const crypto = require(\"crypto\");\n\
             const WIDGET_SECRET = \"{key}\"; // keep it on your server\n\
             const signature = crypto.createHmac(\"sha256\", WIDGET_SECRET).update(\"{EXAMPLE_CUSTOMER}\").digest(\"hex\");"
        ),
        secret,
    })
}
