source "https://rubygems.org"
gem "core-utils", "= 2.0.3"; gem "sidekiq"
gem "core-client", path: "../../libs/core-client"
