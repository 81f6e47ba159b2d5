AGem::Specification.new do |s|
  s.name = "core-client"
  s.version = "0.1.0"
  s.add_development_dependency "core-utils", "~> 1.4.2"
end
