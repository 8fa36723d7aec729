//! `rebuy ballista scheduler` and `rebuy ballista executor`: the processes of a Ballista
//! cluster (the DataFusion cluster engine), for `rebuy run --engine ballista://...`
//! where the official Ballista images are not at hand. They are Ballista's own
//! scheduler and executor with their default settings; rebuy adds nothing to them (its
//! queries are plain SQL), so the official images of the same Ballista version serve
//! as well (docs/scaling.md).

use crate::cli::{BallistaCommand, ExecutorArgs, SchedulerArgs};
use anyhow::{Context, Result};
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use std::sync::Arc;

/// How long an executor keeps trying to reach its scheduler when it starts.
const SCHEDULER_CONNECT_TIMEOUT_SECONDS: u16 = 30;

pub fn ballista(command: &BallistaCommand) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Ballista's planners recurse deeply on large plans (its own binaries use 32 MB).
        .thread_stack_size(32 * 1024 * 1024)
        .build()
        .context("cannot start the runtime")?;
    runtime.block_on(async {
        match command {
            BallistaCommand::Scheduler(args) => scheduler(args).await,
            BallistaCommand::Executor(args) => executor(args).await,
        }
    })
}

async fn scheduler(args: &SchedulerArgs) -> Result<()> {
    let config = SchedulerConfig {
        bind_host: args.bind.ip().to_string(),
        bind_port: args.bind.port(),
        external_host: args.bind.ip().to_string(),
        ..SchedulerConfig::default()
    };
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .context("cannot set up the scheduler's state")?;
    println!("Ballista scheduler starting on {}", args.bind);
    start_server(cluster, args.bind, Arc::new(config))
        .await
        .with_context(|| format!("Ballista scheduler on {}", args.bind))
}

async fn executor(args: &ExecutorArgs) -> Result<()> {
    let (scheduler_host, scheduler_port) = args
        .scheduler
        .rsplit_once(':')
        .and_then(|(host, port)| Some((host.to_string(), port.parse().ok()?)))
        .with_context(|| format!("--scheduler {}: expected HOST:PORT", args.scheduler))?;
    let mut config = ExecutorProcessConfig {
        bind_host: args.bind_host.clone(),
        external_host: args.external_host.clone(),
        port: args.port,
        grpc_port: args.grpc_port,
        scheduler_host,
        scheduler_port,
        scheduler_connect_timeout_seconds: SCHEDULER_CONNECT_TIMEOUT_SECONDS,
        work_dir: args.work_dir.as_ref().map(|dir| dir.display().to_string()),
        ..ExecutorProcessConfig::default()
    };
    if let Some(tasks) = args.concurrent_tasks {
        config.vcores = tasks;
    }
    config.memory_pool_size = args.memory_pool.map(|bytes| bytes as u64);
    println!(
        "Ballista executor starting on {}:{} (gRPC {}), scheduler {}",
        args.bind_host, args.port, args.grpc_port, args.scheduler
    );
    start_executor_process(Arc::new(config))
        .await
        .with_context(|| format!("Ballista executor on {}:{}", args.bind_host, args.port))
}
