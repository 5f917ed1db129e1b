//! What `/proc` says about the server's process tree (memory, CPU time) and the machine.

use std::collections::HashMap;

/// PSS in KiB from the text of `/proc/<pid>/smaps_rollup` (`Pss:  1234 kB`).
pub(crate) fn parse_pss_kib(smaps_rollup: &str) -> Option<u64> {
    smaps_rollup.lines().find_map(|line| {
        let rest = line.strip_prefix("Pss:")?;
        let mut words = rest.split_whitespace();
        let kib = words.next()?.parse().ok()?;
        (words.next() == Some("kB")).then_some(kib)
    })
}

/// Fields of `/proc/<pid>/stat` after the command name (which may hold spaces and
/// parentheses): `(ppid, utime + stime in clock ticks)`.
pub(crate) fn parse_stat(stat: &str) -> Option<(u32, u64)> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    // After ")": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
    // utime stime ...
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    let ppid = fields.get(1)?.parse().ok()?;
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((ppid, utime + stime))
}

/// A `/proc/meminfo` value in KiB (`MemTotal:  24731964 kB`).
pub(crate) fn parse_meminfo_kib(meminfo: &str, key: &str) -> Option<u64> {
    meminfo.lines().find_map(|line| {
        let rest = line.strip_prefix(key)?.strip_prefix(':')?;
        rest.split_whitespace().next()?.parse().ok()
    })
}

/// `root` and every process below it, from each process's parent in `/proc/*/stat`,
/// with each one's CPU time in clock ticks.
pub(crate) fn process_tree(root: u32) -> Vec<(u32, u64)> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    let mut ticks: HashMap<u32, u64> = HashMap::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
                continue;
            };
            // A process may be gone by now; it is simply not counted.
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
            if let Some((ppid, t)) = parse_stat(&stat) {
                children.entry(ppid).or_default().push(pid);
                ticks.insert(pid, t);
            }
        }
    }
    let mut out = Vec::new();
    let mut queue = vec![root];
    while let Some(pid) = queue.pop() {
        out.push((pid, ticks.get(&pid).copied().unwrap_or(0)));
        queue.extend(children.get(&pid).into_iter().flatten());
    }
    out
}

/// PSS of a process tree.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TreePss {
    pub(crate) kib: u64,
    pub(crate) processes: usize,
    /// Processes whose `smaps_rollup` could not be read (gone, or not ours to read).
    pub(crate) unreadable: usize,
}

pub(crate) fn tree_pss(root: u32) -> TreePss {
    let mut out = TreePss::default();
    for (pid, _) in process_tree(root) {
        match std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
            .ok()
            .and_then(|t| parse_pss_kib(&t))
        {
            Some(kib) => {
                out.kib += kib;
                out.processes += 1;
            }
            None => out.unreadable += 1,
        }
    }
    out
}

/// CPU time of a process tree at one moment, per process (clock ticks).
#[derive(Debug, Clone, Default)]
pub(crate) struct TreeCpu(HashMap<u32, u64>);

pub(crate) fn tree_cpu(root: u32) -> TreeCpu {
    TreeCpu(process_tree(root).into_iter().collect())
}

impl TreeCpu {
    /// Ticks spent between `earlier` and `self`: the growth of processes in both, plus all
    /// of those that started since. (Processes that ended meanwhile are lost: a caveat.)
    pub(crate) fn ticks_since(&self, earlier: &TreeCpu) -> u64 {
        self.0
            .iter()
            .map(|(pid, t)| t.saturating_sub(earlier.0.get(pid).copied().unwrap_or(0)))
            .sum()
    }
}

/// CPU time of this process (all its threads) in clock ticks.
pub(crate) fn self_cpu_ticks() -> u64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| parse_stat(&s))
        .map_or(0, |(_, t)| t)
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on every Linux we know).
pub(crate) fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse::<f64>().ok())
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// `(total, available)` memory in KiB.
pub(crate) fn memory_kib() -> Option<(u64, u64)> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    Some((parse_meminfo_kib(&meminfo, "MemTotal")?, parse_meminfo_kib(&meminfo, "MemAvailable")?))
}

/// The machine, for the report.
#[derive(Debug, Clone)]
pub(crate) struct Machine {
    pub(crate) cores: usize,
    pub(crate) memory_mib: u64,
    pub(crate) kernel: String,
    pub(crate) cpu: String,
}

pub(crate) fn machine() -> Machine {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    Machine {
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_mib: memory_kib().map_or(0, |(total, _)| total / 1024),
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map_or_else(|_| "unknown".into(), |k| k.trim().to_owned()),
        cpu,
    }
}

/// What a process is, for telling leaked ones apart: its program's name, with Chromium's
/// `--type=` (renderer, gpu-process, utility and its `--utility-sub-type=`) when it has one.
pub(crate) fn process_kind(cmdline: &str) -> String {
    // A process that set its own title (Chromium's utilities do) has its arguments in one
    // string, separated by spaces.
    let cmdline = cmdline.trim_end_matches('\0');
    let one_string = !cmdline.contains('\0');
    let separator = if one_string { ' ' } else { '\0' };
    let mut args = cmdline.split(separator).filter(|a| !a.is_empty());
    let program = args.next().unwrap_or("?").rsplit('/').next().unwrap_or("?").to_owned();
    let mut kind = program;
    for arg in args {
        for flag in ["--type=", "--utility-sub-type="] {
            if let Some(value) = arg.strip_prefix(flag) {
                kind.push(' ');
                kind.push_str(value);
            }
        }
    }
    kind
}

/// What an open file descriptor is, from its `/proc/<pid>/fd/<n>` link: `socket`, `pipe`,
/// an `anon_inode` of its kind, `/dev/…`, or `file` and the file's name for any other path
/// (its directories are left out: they hold random names).
pub(crate) fn fd_kind(link: &str) -> String {
    if let Some(inode) = link.strip_prefix("anon_inode:") {
        return format!("anon_inode {}", inode.trim_matches(|c| c == '[' || c == ']'));
    }
    if let Some((kind, _)) = link.split_once(":[") {
        return kind.to_owned();
    }
    if link.starts_with("/dev/") {
        return link.to_owned();
    }
    let name = link.trim_end_matches(" (deleted)").rsplit('/').next().unwrap_or_default();
    format!("file {name}")
}

/// How many processes of each kind are in `root`'s tree, and how many file descriptors of
/// each kind `root` holds open, keyed `process <kind>` and `fd <kind>`.
pub(crate) fn kinds(root: u32) -> std::collections::BTreeMap<String, i64> {
    let mut out = std::collections::BTreeMap::new();
    for (pid, _) in process_tree(root) {
        let cmdline = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        *out.entry(format!("process {}", process_kind(&cmdline))).or_insert(0) += 1;
    }
    if let Ok(fds) = std::fs::read_dir(format!("/proc/{root}/fd")) {
        for fd in fds.flatten() {
            let link = std::fs::read_link(fd.path()).unwrap_or_default();
            *out.entry(format!("fd {}", fd_kind(&link.to_string_lossy()))).or_insert(0) += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pss_comes_from_its_own_line() {
        let rollup = "55d0c0a00000-7ffd3d5fe000 ---p 00000000 00:00 0    [rollup]\n\
                      Rss:              245760 kB\n\
                      Pss:               81234 kB\n\
                      Pss_Dirty:         70000 kB\n\
                      Pss_Anon:          60000 kB\n";
        assert_eq!(parse_pss_kib(rollup), Some(81234));
        assert_eq!(parse_pss_kib("Rss: 1 kB\n"), None);
        assert_eq!(parse_pss_kib("Pss: lots kB\n"), None);
        assert_eq!(parse_pss_kib("Pss: 12 MB\n"), None);
    }

    #[test]
    fn stat_fields_are_counted_after_the_command_name() {
        let stat =
            "4242 (chromium (a) b) S 4200 4242 4242 0 -1 4194560 1 2 3 4 150 50 0 0 20 0 1 0";
        assert_eq!(parse_stat(stat), Some((4200, 200)));
        assert_eq!(parse_stat("1 (init) S"), None);
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn meminfo_values_are_found_by_key() {
        let meminfo = "MemTotal:       24731964 kB\nMemFree:        21000000 kB\n\
                       MemAvailable:   23900000 kB\n";
        assert_eq!(parse_meminfo_kib(meminfo, "MemTotal"), Some(24_731_964));
        assert_eq!(parse_meminfo_kib(meminfo, "MemAvailable"), Some(23_900_000));
        assert_eq!(parse_meminfo_kib(meminfo, "Mem"), None);
    }

    #[test]
    fn cpu_time_counts_growth_and_newcomers() {
        let before = TreeCpu([(1, 100), (2, 50), (3, 10)].into_iter().collect());
        let after = TreeCpu([(1, 130), (2, 50), (4, 7)].into_iter().collect());
        assert_eq!(after.ticks_since(&before), 30 + 7);
    }

    #[test]
    fn this_process_is_in_its_own_tree() {
        let me = std::process::id();
        let tree = process_tree(me);
        assert_eq!(tree[0].0, me);
        assert!(tree_pss(me).kib > 0);
    }
}
