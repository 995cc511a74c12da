"""The web page: a person's tasks, their runs, a chat box and their settings, rendered on
the server from templates, each action one ``TaskService`` call, like every other door.

``pages`` serves what is read, ``forms`` what changes, ``live`` the chat and the events
stream, ``signin`` the session; ``rendering`` knows the templates and how to answer a form
sent by the page's script (a fragment) or by a browser without it (a redirect).
"""
