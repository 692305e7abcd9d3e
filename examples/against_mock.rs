//! Runs part of the catalogue against the embedded mock, seeded with a user, then again with a
//! vendor bug switched on, and prints what each run found.
//!
//! `cargo run --example against_mock`

use std::net::SocketAddr;

use scimcheck::mock::{Fault, MockConfig, MockServer, Seed};
use scimcheck::report::{self, console::Console};
use scimcheck::{Output, RunConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mock =
        MockServer::start(MockConfig::default(), SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let seed = Seed::from_json(
        r#"{"users": [{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "alice"}]}"#,
    )?;
    mock.seed(&seed)?;

    for faults in [vec![], vec![Fault::DeleteOnlyDeactivates]] {
        mock.set_faults(faults.iter().copied());
        let config = RunConfig::for_mock(&mock)
            .filter("soft-delete::")
            .output(Output::Silent)
            .build()?;
        let outcome = scimcheck::run(config).await?;
        let report = outcome.report();
        let names: Vec<_> = faults.iter().map(|f| f.name()).collect();
        println!("faults on: {names:?}");
        print!("{}", report::render(&Console, &report));
    }
    mock.shutdown().await;
    Ok(())
}
