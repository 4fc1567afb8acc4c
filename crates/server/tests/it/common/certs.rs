//! Certificates for the TLS tests, made by the `openssl` command line in a temporary
//! folder: a certificate authority, and server certificates it signs for chosen names.

use advocate_store::testing::missing_peer;
use std::path::{Path, PathBuf};
use std::process::Command;

const OPENSSL: &str = "/usr/bin/openssl";

/// A certificate authority: its certificate (what a client trusts) and key.
pub struct Authority {
    dir: PathBuf,
    name: String,
}

impl Authority {
    /// A new CA in `dir` called `name`; `None` (skip) when openssl is not installed.
    pub fn new(dir: &Path, name: &str) -> Option<Self> {
        if !Path::new(OPENSSL).exists() {
            return missing_peer("openssl is not installed; TLS tests skipped");
        }
        std::fs::create_dir_all(dir).unwrap();
        let ca = Self {
            dir: dir.to_owned(),
            name: name.to_owned(),
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout",
            ca.key().to_str().unwrap(),
            "-out",
            ca.certificate().to_str().unwrap(),
        ]);
        Some(ca)
    }

    /// The CA's certificate, PEM: the file a client is told to trust.
    pub fn certificate(&self) -> PathBuf {
        self.dir.join(format!("{}-ca.pem", self.name))
    }

    fn key(&self) -> PathBuf {
        self.dir.join(format!("{}-ca.key", self.name))
    }

    /// A server certificate signed by this CA for `alt_names` (`IP:127.0.0.1`,
    /// `DNS:localhost`): returns (certificate, key) PEM files.
    pub fn server(&self, file: &str, alt_names: &str) -> (PathBuf, PathBuf) {
        let (cert, key, csr, ext) = (
            self.dir.join(format!("{file}.pem")),
            self.dir.join(format!("{file}.key")),
            self.dir.join(format!("{file}.csr")),
            self.dir.join(format!("{file}.ext")),
        );
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            &format!("/CN={file}"),
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            csr.to_str().unwrap(),
        ]);
        std::fs::write(
            &ext,
            format!(
                "subjectAltName={alt_names}\nbasicConstraints=CA:FALSE\n\
                 keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
            ),
        )
        .unwrap();
        openssl(&[
            "x509",
            "-req",
            "-days",
            "2",
            "-in",
            csr.to_str().unwrap(),
            "-CA",
            self.certificate().to_str().unwrap(),
            "-CAkey",
            self.key().to_str().unwrap(),
            "-set_serial",
            &rand::random::<u32>().to_string(),
            "-extfile",
            ext.to_str().unwrap(),
            "-out",
            cert.to_str().unwrap(),
        ]);
        (cert, key)
    }
}

fn openssl(args: &[&str]) {
    let out = Command::new(OPENSSL)
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
