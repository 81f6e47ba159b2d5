Q# frozen_string_literal: true

require_relative "lib/billing/version"

Gem::Specification.new do |spec|
  spec.name          = "billing-lib"
  spec.version       = Billing::VERSION
  spec.summary       = %q{Billing helpers (uses "core-utils")}
  spec.description   = <<-DESC
    Depends on gem "core-utils", "~> 1.0" -- this heredoc is not code.
  DESC
  spec.files = Dir.chdir(__dir__) do
    `git ls-files -z`.split("\x0").reject { |f| f.match(%r{\A(?:test|spec)/}) || f =~ /'"/ }
  end

  spec.add_dependency "core-utils", [ "~> 1.4",
                                      ">= 1.4.2" ]
  spec.add_runtime_dependency("activesupport", ">= 6.1")
  spec.add_development_dependency 'core-utils-extra', '~> 1.4'
  # spec.add_dependency "core-utils", "~> 1.0"
end
