//! A workspace's single sign-on configuration as stored: checked, replaced, removed, one
//! workspace's never touching another's, and password sign-in refused only for members
//! of a workspace that turned it off.

use crate::common::*;
use advocate_core::Role;
use advocate_store::tenancy::sso::SsoConfig;
use advocate_store::Store;

fn config() -> SsoConfig {
    SsoConfig {
        issuer: "http://127.0.0.1:9400/".into(),
        client_id: "advocate".into(),
        client_secret: "s3cret-value".into(),
        allowed_domains: vec!["Example.com".into(), " ".into()],
        required_group: Some(" ".into()),
        default_role: Role::Viewer,
        password_sign_in: true,
    }
}

async fn sso_configuration_is_checked_and_kept_per_workspace(store: Store) {
    let acme = workspace(&store).await;
    let globex = named_workspace(&store, "globex").await;
    let sso = store.sso();
    assert_eq!(sso.get(acme).await.unwrap(), None);
    sso.save(acme, &config()).await.unwrap();
    let saved = sso.get(acme).await.unwrap().unwrap();
    assert_eq!(saved.issuer, "http://127.0.0.1:9400");
    assert_eq!(saved.allowed_domains, vec!["example.com".to_owned()]);
    assert_eq!(saved.required_group, None);
    assert_eq!(saved.default_role, Role::Viewer);
    assert_eq!(saved.secret_hint(), "…alue");
    assert_eq!(sso.get(globex).await.unwrap(), None);

    let bad = |f: fn(&mut SsoConfig)| {
        let mut c = config();
        f(&mut c);
        c
    };
    let msg = invalid(sso.save(acme, &bad(|c| c.issuer = "ftp://x".into())).await);
    assert!(msg.starts_with("issuer:"), "{msg}");
    let msg = invalid(sso.save(acme, &bad(|c| c.client_secret = " ".into())).await);
    assert!(msg.starts_with("client_secret:"), "{msg}");
    let msg = invalid(
        sso.save(acme, &bad(|c| c.allowed_domains = vec!["localhost".into()]))
            .await,
    );
    assert!(msg.starts_with("allowed_domains:"), "{msg}");
    assert_eq!(
        sso.get(acme).await.unwrap().unwrap(),
        saved,
        "nothing changed"
    );

    // Password sign-in off in acme: refused for acme's members only.
    let ana = store
        .users()
        .create(acme, "ana@example.com", "h")
        .await
        .unwrap();
    let bo = store
        .users()
        .create(globex, "bo@example.com", "h")
        .await
        .unwrap();
    assert!(!sso.password_refused(ana.id).await.unwrap());
    sso.save(acme, &bad(|c| c.password_sign_in = false))
        .await
        .unwrap();
    assert!(sso.password_refused(ana.id).await.unwrap());
    assert!(!sso.password_refused(bo.id).await.unwrap());

    assert!(sso.remove(acme).await.unwrap());
    assert!(!sso.remove(acme).await.unwrap());
    assert!(!sso.password_refused(ana.id).await.unwrap());
}

#[tokio::test]
async fn sso_configuration_on_every_backend() {
    on_every_backend!(sso_configuration_is_checked_and_kept_per_workspace);
}
