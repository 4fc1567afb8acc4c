//! Scheduled backups (`advocate serve --backup-dir`): each turn writes a verified backup
//! named after its UTC time and keeps the newest `keep`; a turn that fails deletes nothing.

use advocate_server::worker::backups::{backups_in, run_once, Schedule};
use advocate_store::backup;
use advocate_store::testing::TestDb;
use chrono::{Duration, TimeZone, Utc};
use std::path::PathBuf;

fn fresh_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "advocate-backups-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn names(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn scheduled_backups_keep_the_newest_and_leave_other_files_alone() {
    let db = TestDb::sqlite();
    let store = db.store().await;
    let dir = fresh_dir();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let schedule = Schedule {
        dir: dir.clone(),
        every: std::time::Duration::from_secs(3600),
        keep: 2,
    };
    let start = Utc.with_ymd_and_hms(2026, 12, 4, 2, 0, 0).unwrap();
    for hour in 0..4 {
        let path = run_once(&store, &schedule, start + Duration::hours(hour))
            .await
            .unwrap();
        assert!(path.is_file());
    }
    assert_eq!(
        names(&dir),
        [
            "advocate-20261204T040000Z.db",
            "advocate-20261204T050000Z.db",
            "notes.txt"
        ]
    );
    assert_eq!(backups_in(&dir).len(), 2);
    // What is kept is a backup that restores.
    let data = fresh_dir();
    let counts = backup::restore(&backups_in(&dir)[1].1, &data.join("restored"))
        .await
        .unwrap();
    assert_eq!(counts.answers, 0);

    // A turn that cannot write fails with the reason (the worker logs it and tries again
    // at the next turn): a folder that is gone, or a name that exists (never replaced).
    // The failure in the folder of the kept backups deletes none of them.
    let gone = Schedule {
        dir: dir.join("gone"),
        ..schedule.clone()
    };
    assert!(run_once(&store, &gone, start + Duration::hours(5))
        .await
        .is_err());
    assert!(run_once(&store, &schedule, start + Duration::hours(3))
        .await
        .is_err());
    assert_eq!(backups_in(&dir).len(), 2);
    assert_eq!(names(&dir).len(), 3, "no partial file is left");
    std::fs::remove_dir_all(dir).unwrap();
    std::fs::remove_dir_all(data).unwrap();
}

#[tokio::test]
async fn a_backup_onto_a_full_disk_fails_and_leaves_nothing_behind() {
    let Some(disk) = crate::faults::SmallDisk::mount(4) else {
        return;
    };
    let db = TestDb::sqlite();
    let store = db.store().await;
    let schedule = Schedule {
        dir: disk.dir.clone(),
        every: std::time::Duration::from_secs(3600),
        keep: 1,
    };
    let start = Utc.with_ymd_and_hms(2026, 12, 4, 2, 0, 0).unwrap();
    let first = run_once(&store, &schedule, start).await.unwrap();

    disk.fill();
    let err = run_once(&store, &schedule, start + Duration::hours(1))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("full"), "{err}");
    let mut expected = vec![
        first.file_name().unwrap().to_str().unwrap().to_owned(),
        "filler".to_owned(),
    ];
    expected.sort();
    assert_eq!(
        names(&disk.dir),
        expected,
        "no partial file; the older backup is kept"
    );

    disk.free();
    let next = run_once(&store, &schedule, start + Duration::hours(2))
        .await
        .unwrap();
    assert_eq!(backups_in(&disk.dir), [(start + Duration::hours(2), next)]);
}
