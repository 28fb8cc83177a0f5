#include "services/auth/client_token.h"

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/support/client_interceptor.h"
#include "services/auth/call_authorizer.h"
#include "services/auth/token_store.h"

namespace dlkit::auth {
namespace {

// Shared by every call of a channel: the token once found.
class CachedToken {
 public:
  explicit CachedToken(TokenSource source) : source_(std::move(source)) {}
  std::string Get() {
    absl::MutexLock lock(&mu_);
    if (token_.empty() && source_) token_ = source_();
    return token_;
  }

 private:
  absl::Mutex mu_;
  TokenSource source_;
  std::string token_ ABSL_GUARDED_BY(mu_);
};

class BearerInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit BearerInterceptor(std::string token) : token_(std::move(token)) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (!token_.empty() &&
        methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->insert({kAuthorizationKey, "Bearer " + token_});
    }
    methods->Proceed();
  }

 private:
  const std::string token_;
};

class BearerInterceptorFactory final
    : public grpc::experimental::ClientInterceptorFactoryInterface {
 public:
  explicit BearerInterceptorFactory(std::shared_ptr<CachedToken> token)
      : token_(std::move(token)) {}
  grpc::experimental::Interceptor* CreateClientInterceptor(
      grpc::experimental::ClientRpcInfo* /*info*/) override {
    return new BearerInterceptor(token_->Get());
  }

 private:
  std::shared_ptr<CachedToken> token_;
};

}  // namespace

std::string FindToken(const std::string& home, const std::string& env_token) {
  if (absl::string_view token = absl::StripAsciiWhitespace(env_token); !token.empty()) {
    return std::string(token);
  }
  std::ifstream in(absl::StrCat(home, "/", kTokenFileName));
  std::string line;
  if (!in || !std::getline(in, line)) return "";
  return std::string(absl::StripAsciiWhitespace(line));
}

std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>>
BearerInterceptors(TokenSource token) {
  std::vector<std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface>> factories;
  factories.push_back(
      std::make_unique<BearerInterceptorFactory>(std::make_shared<CachedToken>(std::move(token))));
  return factories;
}

std::shared_ptr<grpc::Channel> CreateChannelWithToken(
    const std::string& target, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    const grpc::ChannelArguments& args, TokenSource token) {
  return grpc::experimental::CreateCustomChannelWithInterceptors(
      target, credentials, args, BearerInterceptors(std::move(token)));
}

}  // namespace dlkit::auth
