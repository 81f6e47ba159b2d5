source "https://rubygems.org"
gem "core-utils", "= 1.4.2"; gem "sidekiq"
gem "core-client", path: "../../libs/core-client"
