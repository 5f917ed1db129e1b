//! `cargo xtask` — the project's chores, in Rust so they need nothing but cargo.

fn main() -> anyhow::Result<()> {
    anyhow::bail!("xtask: no commands yet")
}
