// ChatTemplates: renders the Jinja chat templates that models ship.
/// Namespace of the ChatTemplates module.
public enum ChatTemplates {}
