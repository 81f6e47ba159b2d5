# frozen_string_literal: true

core_utils_requirement = "~> 2.0"

Gem::Specification.new do |spec|
  spec.name    = "acme-tools"
  spec.version = "0.1.0"
  spec.summary = "Internal tooling"

  spec.add_dependency "core-utils", core_utils_requirement
  spec.add_development_dependency "rake", "~> 13.0"
end
