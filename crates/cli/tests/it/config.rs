//! The configuration file and `*_FILE` secrets, through the real binary: precedence
//! (flags > env > file > defaults), errors naming the file and key, masked secrets.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

const BIN: &str = env!("CARGO_BIN_EXE_advocate");
const SECRET: &str = "s3cret-token-0123456789";

/// A folder of its own (the working directory too, so no stray advocate-data).
struct Dir(PathBuf);

impl Dir {
    fn new() -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "advocate-config-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The binary with no ADVOCATE_* variables but `env`.
    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = Command::new(BIN);
        cmd.args(args).current_dir(&self.0);
        for (name, _) in std::env::vars() {
            if name.starts_with("ADVOCATE_") {
                cmd.env_remove(name);
            }
        }
        cmd.envs(env.iter().copied()).env("RUST_BACKTRACE", "0");
        cmd.output().unwrap()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `config show`'s line for `key`.
fn shown(out: &Output, key: &str) -> String {
    let (stdout, stderr) = text(out);
    assert!(out.status.success(), "{stderr}");
    stdout
        .lines()
        .find(|l| l.starts_with(&format!("{key} = ")) || l.starts_with(&format!("# {key} ")))
        .unwrap_or_else(|| panic!("no {key} in {stdout}"))
        .to_owned()
}

#[test]
fn flags_beat_env_beat_the_file_beats_defaults() {
    let dir = Dir::new();
    let file = dir.write(
        "advocate.toml",
        "bind = \"127.0.0.1:7001\"\nworkspace-name = \"From file\"\nsecure_cookies = true\n",
    );
    let file = file.to_str().unwrap();
    let show = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["config", "show", "--config", file];
        all.extend(args);
        dir.run(&all, env)
    };
    let out = show(&[], &[]);
    assert_eq!(shown(&out, "bind"), "bind = \"127.0.0.1:7001\"  # file");
    assert_eq!(
        shown(&out, "workspace_name"),
        "workspace_name = \"From file\"  # file"
    );
    assert_eq!(
        shown(&out, "secure_cookies"),
        "secure_cookies = true  # file"
    );
    assert_eq!(shown(&out, "idle_timeout"), "idle_timeout = 10  # default");
    assert_eq!(shown(&out, "smtp_url"), "# smtp_url is not set");

    let env = [("ADVOCATE_BIND", "127.0.0.1:7002")];
    assert_eq!(
        shown(&show(&[], &env), "bind"),
        "bind = \"127.0.0.1:7002\"  # env"
    );
    let flag = show(&["--bind", "127.0.0.1:7003"], &env);
    assert_eq!(shown(&flag, "bind"), "bind = \"127.0.0.1:7003\"  # flag");
    assert_eq!(
        shown(&flag, "workspace_name"),
        "workspace_name = \"From file\"  # file"
    );
}

#[test]
fn a_command_uses_the_file_and_the_data_folders_file_is_found() {
    let dir = Dir::new();
    let data = dir.0.join("elsewhere");
    let file = dir.write(
        "conf/a.toml",
        &format!("data_dir = {:?}\n", data.to_str().unwrap()),
    );
    let out = dir.run(&["migrate"], &[("ADVOCATE_CONFIG", file.to_str().unwrap())]);
    assert!(out.status.success(), "{}", text(&out).1);
    assert!(
        data.join("advocate.db").is_file(),
        "migrate ignored data_dir from the file"
    );

    // No --config: advocate.toml in the data folder is read, and start-up says so.
    dir.write("elsewhere/advocate.toml", "workspace_name = \"Found\"\n");
    let out = dir.run(
        &["config", "show", "--data-dir", data.to_str().unwrap()],
        &[],
    );
    assert_eq!(
        shown(&out, "workspace_name"),
        "workspace_name = \"Found\"  # file"
    );
    let (stdout, stderr) = text(&out);
    let expected = data.join("advocate.toml");
    assert!(stdout.starts_with(&format!("# configuration file: {}\n", expected.display())));
    assert!(stderr.contains("configuration file read"), "{stderr}");
    assert!(stderr.contains(&expected.display().to_string()), "{stderr}");
}

/// Runs `config check` with `contents` as the file; it must fail naming each of `words`.
fn fails_naming(contents: &str, words: &[&str]) {
    let dir = Dir::new();
    let file = dir.write("bad.toml", contents);
    let out = dir.run(
        &["config", "check", "--config", file.to_str().unwrap()],
        &[],
    );
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "{contents:?} accepted: {stdout}");
    assert!(!stdout.contains("configuration ok"), "{stdout}");
    for word in words {
        assert!(
            stderr.contains(word),
            "{contents:?}: {word:?} not in {stderr}"
        );
    }
}

#[test]
fn bad_files_are_refused_naming_the_file_and_key() {
    fails_naming(
        "smtp_ulr = \"smtp://h:25\"\n",
        &[
            "bad.toml",
            "unknown key `smtp_ulr`",
            "did you mean `smtp_url`?",
        ],
    );
    fails_naming("bind = [1]\n", &["bad.toml", "`bind` must be a string"]);
    fails_naming(
        "no_workers = \"yes\"\n",
        &["bad.toml", "`no_workers` must be true or false"],
    );
    fails_naming("bind = \n", &["bad.toml", "line 1"]);
    fails_naming("bind = \"nope\"\n", &["bad.toml", "`bind`", "'nope'"]);
    fails_naming("idle_timeout = 0\n", &["bad.toml", "`idle_timeout`"]);
    fails_naming(
        "trust_proxy = \"zz\"\n",
        &["--trust-proxy / ADVOCATE_TRUST_PROXY", "\"zz\""],
    );
    fails_naming(
        "bind = \"127.0.0.1:1\"\nbind-x = 1\n",
        &["unknown key `bind-x`"],
    );
    fails_naming(
        "smtp_url = \"smtp://h:25\"\nsmtp-url = \"smtp://h:26\"\n",
        &["`smtp-url` and `smtp_url` both set `smtp_url`"],
    );
}

#[test]
fn check_says_which_file_it_read() {
    let dir = Dir::new();
    let file = dir.write(
        "ok.toml",
        "trust_proxy = \"10.0.0.0/8\"\nidle_timeout = 30\n",
    );
    let out = dir.run(
        &["config", "check", "--config", file.to_str().unwrap()],
        &[],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(
        stdout,
        format!("configuration ok (from {})\n", file.display())
    );
    let out = dir.run(&["config", "check"], &[]);
    assert_eq!(text(&out).0, "configuration ok (no configuration file)\n");
}

fn assert_hidden(out: &Output) {
    let (stdout, stderr) = text(out);
    assert!(
        !stdout.contains(SECRET) && !stderr.contains(SECRET),
        "{stdout}{stderr}"
    );
}

#[test]
fn secrets_come_from_files_and_are_masked() {
    let dir = Dir::new();
    let secret = dir.write("secret", &format!("{SECRET}\n"));
    let secret = secret.to_str().unwrap();

    let env = [("ADVOCATE_METRICS_TOKEN_FILE", secret)];
    let out = dir.run(&["config", "show"], &env);
    assert_eq!(
        shown(&out, "metrics_token"),
        "metrics_token = \"****\"  # env ADVOCATE_METRICS_TOKEN_FILE"
    );
    assert_hidden(&out);
    // The token read (less its newline) is the one checked: 23 characters pass, and a
    // short one fails, so the file's content is what reached the setting.
    assert!(dir.run(&["config", "check"], &env).status.success());
    let short = dir.write("short", "tiny\n");
    let out = dir.run(
        &["config", "check"],
        &[("ADVOCATE_METRICS_TOKEN_FILE", short.to_str().unwrap())],
    );
    assert!(!out.status.success());
    assert!(text(&out).1.contains("--metrics-token"), "{}", text(&out).1);

    let file = dir.write(
        "a.toml",
        &format!("metrics_token_file = {secret:?}\nsmtp_url = \"smtp://u:{SECRET}@h:25\"\n"),
    );
    let out = dir.run(&["config", "show", "--config", file.to_str().unwrap()], &[]);
    assert_eq!(
        shown(&out, "metrics_token"),
        "metrics_token = \"****\"  # file"
    );
    assert_eq!(shown(&out, "smtp_url"), "smtp_url = \"****\"  # file");
    assert_hidden(&out);
    let out = dir.run(
        &["config", "show", "--config", file.to_str().unwrap()],
        &[("ADVOCATE_SMTP_URL", SECRET)],
    );
    assert_eq!(shown(&out, "smtp_url"), "smtp_url = \"****\"  # env");
    assert_hidden(&out);

    let both = [
        ("ADVOCATE_METRICS_TOKEN_FILE", secret),
        ("ADVOCATE_METRICS_TOKEN", SECRET),
    ];
    let out = dir.run(&["config", "check"], &both);
    assert!(!out.status.success());
    let stderr = text(&out).1;
    assert!(
        stderr.contains("both ADVOCATE_METRICS_TOKEN and ADVOCATE_METRICS_TOKEN_FILE are set"),
        "{stderr}"
    );
    assert_hidden(&out);
    fails_naming(
        &format!("metrics_token = \"x\"\nmetrics_token_file = {secret:?}\n"),
        &["`metrics_token` and `metrics_token_file` both set `metrics_token`"],
    );
    // Only secrets may come from files.
    fails_naming("bind_file = \"x\"\n", &["unknown key `bind_file`"]);
}
