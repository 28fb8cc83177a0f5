// dlkitd: the local daemon. Hosts the Launcher, one Manager per experiment and the Tuner on
// one address (127.0.0.1:9870 by default). The Managers reach the Tuner through its gRPC
// stub, over the server's in-process channel.

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/marshalling.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "base/logging.h"
#include "k8s/client/kube_client.h"
#include "k8s/client/kube_config.h"
#include "services/auth/call_authorizer.h"
#include "services/auth/client_token.h"
#include "services/auth/dashboard_sessions.h"
#include "services/auth/token_store.h"
#include "services/common/address.h"
#include "services/common/install_paths.h"
#include "services/common/private_files.h"
#include "services/common/server_runner.h"
#include "services/gateway/gateway.h"
#include "services/kubernetes/kubernetes_experiments.h"
#include "services/launcher/launcher.h"
#include "services/launcher/launcher_service.h"
#include "services/manager/manager_service.h"
#include "services/tuner/tuner_service.h"

ABSL_FLAG(std::string, home, "", "state folder (default $DLKIT_HOME, else ~/.dlkit)");
ABSL_FLAG(std::string, address, "", "listen address (default $DLKIT_ADDRESS, else 127.0.0.1:9870)");
ABSL_FLAG(std::string, reporter_binary, "", "dlkit-reporter (default: found beside dlkitd)");
ABSL_FLAG(std::string, python_path, "", "folder holding the dlkit and nni Python packages");
ABSL_FLAG(int32_t, grace_seconds, 10, "SIGTERM to SIGKILL delay when a trial is stopped");
ABSL_FLAG(std::string, trial_reconnect_window, "",
          "how long a local trial runs on while no daemon answers, e.g. 30m (default "
          "$DLKIT_TRIAL_RECONNECT_WINDOW, else 30m); then its Reporter kills it");
ABSL_FLAG(std::string, tls_cert, "",
          "a PEM certificate chain: the gRPC port speaks TLS (with --tls_key); local trials "
          "then call through a private socket in the home");
ABSL_FLAG(std::string, tls_key, "", "the PEM private key of --tls_cert");
ABSL_FLAG(bool, allow_unauthenticated_remote, false,
          "listen on a non-loopback address without TLS (tokens then cross the network in "
          "clear)");
ABSL_FLAG(std::string, tuner_address, "",
          "a separate dlkit-tuner to use; by default the Tuner runs in this process");
ABSL_FLAG(std::string, gateway_address, "",
          "where the dashboard is served (default $DLKIT_GATEWAY_ADDRESS, else 127.0.0.1:8080); "
          "'off' serves none");
ABSL_FLAG(std::string, ui_dir, "",
          "the built dashboard (default: ../ui beside dlkitd, or $DLKIT_UI_DIR)");
ABSL_FLAG(std::string, kubeconfig, "",
          "a kubeconfig whose cluster runs experiments with platform kubernetes; inside a pod "
          "the pod's service account is used without it");
ABSL_FLAG(std::string, kube_context, "", "the kubeconfig context (default: its current one)");
ABSL_FLAG(bool, kubernetes, true,
          "accept platform kubernetes experiments when a cluster is configured (in a pod or "
          "with --kubeconfig)");
ABSL_FLAG(std::string, kube_image, "dlkit:latest",
          "the dlkit image Experiment pods run (dlkit-manager and dlkit-tuner)");
ABSL_FLAG(std::string, kube_service_account, "dlkit",
          "the service account of Experiment pods (bound to k8s/manifests/role.yaml)");
ABSL_FLAG(std::vector<std::string>, gateway_cors_origins, {},
          "other origins whose pages may call the gateway, e.g. http://localhost:5173");

namespace {

constexpr char kVersion[] = "0.1.0";

// What the dashboard may call. Not the trial-facing calls (TrialSession, ask/tell), not the
// Tuner, not ShutdownDaemon.
const std::vector<std::string> kDashboardMethods = {
    "dlkit.v1.LauncherService/SubmitExperiment", "dlkit.v1.LauncherService/ValidateExperiment",
    "dlkit.v1.LauncherService/ListExperiments",  "dlkit.v1.LauncherService/WatchExperiments",
    "dlkit.v1.LauncherService/GetExperiment",    "dlkit.v1.LauncherService/StopExperiment",
    "dlkit.v1.LauncherService/ResumeExperiment", "dlkit.v1.LauncherService/DeleteExperiment",
    "dlkit.v1.LauncherService/GetDaemonStatus",  "dlkit.v1.ManagerService/GetExperiment",
    "dlkit.v1.ManagerService/UpdateExperiment",  "dlkit.v1.ManagerService/ListTrials",
    "dlkit.v1.ManagerService/GetTrial",          "dlkit.v1.ManagerService/KillTrial",
    "dlkit.v1.ManagerService/AddTrials",         "dlkit.v1.ManagerService/WatchExperiment",
    "dlkit.v1.ManagerService/ReadTrialLog",      "dlkit.v1.ManagerService/GetExperimentCharts",
};

std::string FlagOrEnv(const std::string& flag, const char* env, const std::string& fallback) {
  if (!flag.empty()) return flag;
  const char* value = std::getenv(env);
  return value != nullptr && *value != '\0' ? value : fallback;
}

std::string DefaultHome() {
  const char* home = std::getenv("HOME");
  return absl::StrCat(home != nullptr ? home : "/tmp", "/.dlkit");
}

// The cluster for platform kubernetes: --kubeconfig, else this pod's service account, else
// none (such experiments are then refused with a message saying how to give one).
absl::StatusOr<std::shared_ptr<dlkit::KubernetesExperiments>> ClusterFromFlags() {
  if (!absl::GetFlag(FLAGS_kubernetes)) return nullptr;
  absl::StatusOr<dlkit::k8s::KubeConfig> config;
  if (!absl::GetFlag(FLAGS_kubeconfig).empty()) {
    config = dlkit::k8s::KubeConfig::FromKubeconfig(absl::GetFlag(FLAGS_kubeconfig),
                                                    absl::GetFlag(FLAGS_kube_context));
  } else if (std::getenv("KUBERNETES_SERVICE_HOST") != nullptr) {
    config = dlkit::k8s::KubeConfig::FromInCluster();
  } else {
    return nullptr;
  }
  if (!config.ok()) return config.status();
  absl::StatusOr<std::unique_ptr<dlkit::k8s::KubeClient>> client =
      dlkit::k8s::KubeClient::New(*config);
  if (!client.ok()) return client.status();
  dlkit::KubernetesExperiments::Options options;
  options.image = absl::GetFlag(FLAGS_kube_image);
  options.service_account = absl::GetFlag(FLAGS_kube_service_account);
  return std::make_shared<dlkit::KubernetesExperiments>(
      std::shared_ptr<dlkit::k8s::KubeClient>(std::move(client).value()), options);
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  dlkit::SetProgramName("dlkitd");
  // Everything it writes (databases, logs) is private; trials get the user's umask back.
  dlkit::UsePrivateUmask();
  // Debian's Abseil checks every Mutex acquisition for deadlock cycles: ~8% of the metric
  // path (bench/README.md). Tests and debug builds keep the check.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  signal(SIGPIPE, SIG_IGN);
  dlkit::Launcher::Options options;
  options.home = FlagOrEnv(absl::GetFlag(FLAGS_home), "DLKIT_HOME", DefaultHome());
  options.address = FlagOrEnv(absl::GetFlag(FLAGS_address), "DLKIT_ADDRESS", "127.0.0.1:9870");
  const std::string host = dlkit::AddressHost(options.address);
  const bool tls = !absl::GetFlag(FLAGS_tls_cert).empty() || !absl::GetFlag(FLAGS_tls_key).empty();
  if (!dlkit::IsUnixAddress(options.address) && !dlkit::IsLoopbackHost(host) && !tls &&
      !absl::GetFlag(FLAGS_allow_unauthenticated_remote)) {
    // Anyone who reaches the port could run commands as this user (trialCommand).
    dlkit::Log() << "refusing to listen on " << options.address
                 << ": other machines could reach it and, without TLS, read the tokens calls "
                    "carry. Give it --tls_cert and --tls_key, use a loopback address (the default "
                    "127.0.0.1:9870), or pass --allow_unauthenticated_remote on a network you "
                    "trust.";
    return 2;
  }
  options.reporter_binary = dlkit::ReporterBinary(absl::GetFlag(FLAGS_reporter_binary));
  options.python_path = dlkit::PythonPath(absl::GetFlag(FLAGS_python_path));
  options.grace_seconds = absl::GetFlag(FLAGS_grace_seconds);
  const std::string window =
      FlagOrEnv(absl::GetFlag(FLAGS_trial_reconnect_window), "DLKIT_TRIAL_RECONNECT_WINDOW", "30m");
  if (!absl::ParseDuration(window, &options.trial_reconnect_window) ||
      options.trial_reconnect_window <= absl::ZeroDuration()) {
    dlkit::Log() << "--trial_reconnect_window: \"" << window
                 << "\" is not a positive duration such as 30m";
    return 2;
  }
  if (options.reporter_binary.empty()) {
    dlkit::Log() << "cannot find dlkit-reporter beside " << dlkit::ExecutableDirectory()
                 << "; pass --reporter_binary";
    return 1;
  }

  absl::StatusOr<std::shared_ptr<dlkit::KubernetesExperiments>> cluster = ClusterFromFlags();
  if (!cluster.ok()) {
    dlkit::Log() << "cannot use the Kubernetes cluster: " << cluster.status().message();
    return 1;
  }
  options.cluster = *cluster;
  if (options.cluster != nullptr) {
    dlkit::Log() << "experiments with platform kubernetes run in the cluster (image "
                 << absl::GetFlag(FLAGS_kube_image) << ")";
  }

  absl::StatusOr<std::unique_ptr<dlkit::Launcher>> launcher = dlkit::Launcher::Open(options);
  if (!launcher.ok()) {
    dlkit::Log() << launcher.status().message();
    return 1;
  }
  // Every call needs a token (on loopback too): the admin one is made at first start in
  // DLKIT_HOME, where dlctl and the SDKs find it.
  absl::StatusOr<std::unique_ptr<dlkit::auth::TokenStore>> tokens =
      dlkit::auth::TokenStore::Open(options.home);
  if (!tokens.ok()) {
    dlkit::Log() << tokens.status().message();
    return 1;
  }
  const dlkit::auth::CallAuthorizer authorizer(tokens->get());
  dlkit::auth::DashboardSessions dashboard_sessions;
  const std::string own_token = (*tokens)->admin_token();
  dlkit::TunerServiceImpl tuner_service;
  tuner_service.set_authorizer(&authorizer);
  dlkit::ManagerServiceImpl manager_service(launcher->get());
  manager_service.set_authorizer(&authorizer);
  dlkit::LauncherServiceImpl launcher_service(launcher->get(), kVersion);
  launcher_service.set_auth(&authorizer, tokens->get(), &dashboard_sessions);
  const std::string tuner_address = absl::GetFlag(FLAGS_tuner_address);
  std::vector<grpc::Service*> services = {&launcher_service, &manager_service};
  if (tuner_address.empty()) services.push_back(&tuner_service);
  std::shared_ptr<grpc::ServerCredentials> credentials;
  std::vector<std::string> trial_socket;
  if (tls) {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> loaded =
        dlkit::TlsServerCredentials(absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key));
    if (!loaded.ok()) {
      dlkit::Log() << "--tls_cert/--tls_key: " << loaded.status().message();
      return 2;
    }
    credentials = *loaded;
    // Reporters speak plain gRPC: they call through a socket only this user can open.
    const std::string socket = absl::StrCat(options.home, "/dlkitd.sock");
    unlink(socket.c_str());
    trial_socket.push_back("unix:" + socket);
    (*launcher)->set_trial_address(trial_socket.back());
  }
  absl::StatusOr<dlkit::StartedServer> server =
      dlkit::StartServer(options.address, services, credentials, trial_socket);
  if (!server.ok()) {
    dlkit::Log() << server.status().message();
    return 1;
  }
  // Either way the Managers reach the Tuner only through its gRPC stub, with the daemon's
  // token; so does the gateway, which holds each browser to its session's role itself.
  auto with_own_token = [&server, &own_token] {
    return server->server->experimental().InProcessChannelWithInterceptors(
        grpc::ChannelArguments(),
        dlkit::auth::BearerInterceptors([own_token] { return own_token; }));
  };
  std::shared_ptr<grpc::Channel> tuner_channel =
      tuner_address.empty() ? with_own_token()
                            : dlkit::auth::CreateChannelWithToken(
                                  tuner_address, grpc::InsecureChannelCredentials(),
                                  grpc::ChannelArguments(), [own_token] { return own_token; });
  (*launcher)->Start(dlkit::v1::TunerService::NewStub(tuner_channel), options.address);

  // The dashboard is a convenience: a busy port costs the dashboard, not the daemon.
  std::unique_ptr<dlkit::gateway::GrpcWebGateway> gateway;
  const std::string gateway_address =
      FlagOrEnv(absl::GetFlag(FLAGS_gateway_address), "DLKIT_GATEWAY_ADDRESS", "127.0.0.1:8080");
  if (gateway_address != "off") {
    dlkit::gateway::GatewayOptions gateway_options;
    gateway_options.listen_address = gateway_address;
    gateway_options.static_dir = FlagOrEnv(absl::GetFlag(FLAGS_ui_dir), "DLKIT_UI_DIR",
                                           dlkit::FindInstalledFile({"../ui"}, "dlkit/ui/dist"));
    gateway_options.allowed_methods = kDashboardMethods;
    gateway_options.cors_origins = absl::GetFlag(FLAGS_gateway_cors_origins);
    gateway_options.sessions = &dashboard_sessions;
    absl::StatusOr<std::unique_ptr<dlkit::gateway::GrpcWebGateway>> started =
        dlkit::gateway::GrpcWebGateway::Start(gateway_options, with_own_token());
    if (started.ok()) {
      gateway = std::move(*started);
      launcher_service.set_dashboard_url(gateway->url());
      dlkit::Log() << "dashboard at " << gateway->url()
                   << " (`dlctl daemon status` prints a link that logs you in)";
    } else {
      dlkit::Log() << "warning: no dashboard: " << started.status().message()
                   << " (choose another with --gateway_address)";
    }
  }
  dlkit::Log() << "version " << kVersion << ", listening on " << options.address
               << (tls ? " (TLS)" : "") << ", home " << options.home << ", pid " << getpid();

  dlkit::WaitForShutdown();
  dlkit::Log() << "shutting down";
  gateway.reset();  // closes the browsers' streams before their Managers go
  (*launcher)->Shutdown();
  server->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  return 0;
}
