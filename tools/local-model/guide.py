"""A small offline guide to Agent Lab, as question/answer topics.

Licence: MIT, the same as the Agent Lab project (this text was written for the project).
`corpus.py` turns these topics into many paraphrased chat conversations.

Each topic is (questions, answer). Questions are written out by hand in a few forms;
`corpus.py` adds mechanical variants (case, punctuation, polite prefixes). Answers are
kept short so that a model of about one million parameters can learn them.
"""

TOPICS: list[tuple[list[str], str]] = [
    (
        ["What is Agent Lab?", "What is this app?", "What is this lab?", "Tell me about Agent Lab.",
         "What does Agent Lab do?", "Explain Agent Lab.", "What is this?", "What am I looking at?"],
        "Agent Lab is a self-hosted lab for people who build with LLMs. In one web page you configure an "
        "agent, chat with it with streamed tokens and a Stop button, compare models side by side, and see "
        "what every run cost.",
    ),
    (
        ["Who is Agent Lab for?", "Who uses Agent Lab?", "Who is this lab for?", "Who should use this app?"],
        "Prompt engineers, AI engineers and product people: anyone who runs model bake-offs and wants to "
        "see tokens, latency and cost for every run.",
    ),
    (
        ["Who are you?", "What are you?", "Which model are you?", "What model is this?", "Are you a real model?",
         "How big are you?", "What can you do?", "Are you ChatGPT?"],
        "I am Agent Lab's tiny offline demo model: about one million parameters, trained by the project on "
        "its own guide. I run on your CPU without a network and only know a little about the lab; for real "
        "work pick a hosted model in the model picker.",
    ),
    (
        ["Hello", "Hi", "Hey", "Hello there", "Good morning", "Hi there!", "Hey, are you there?"],
        "Hello! Welcome to Agent Lab. I am its tiny offline model; ask me what the lab is, how to add an API "
        "key, how to stop a run, what TTFT or tokens per second mean, or where runs are stored.",
    ),
    (
        ["Thanks", "Thank you", "Thanks a lot!", "Great, thank you.", "Cool, thanks."],
        "You are welcome. Ask me anything else about Agent Lab.",
    ),
    (
        ["Goodbye", "Bye", "See you later", "That is all for now."],
        "Goodbye! Every run of this chat is already saved in runs.csv and in its session file.",
    ),
    (
        ["How do I start Agent Lab?", "How do I run the lab?", "How do I install Agent Lab?",
         "How do I launch the app?", "How do I get started?"],
        "Run npm ci and then npm start. The lab serves its page and API on http://127.0.0.1:7860.",
    ),
    (
        ["Which port does Agent Lab use?", "How do I change the port?", "Where does the lab listen?",
         "How do I change the host?"],
        "The lab listens on 127.0.0.1 port 7860. Set PORT and HOST in the environment or in .env to change them.",
    ),
    (
        ["How do I configure an agent?", "How do I create an agent?", "How do I set up an agent?",
         "What is an agent?", "What settings does an agent have?"],
        "An agent is a saved configuration: a name, a model, a system prompt, temperature, top_p, max tokens "
        "and the tools it may call. Edit them in the left panel and save.",
    ),
    (
        ["How do I change the model?", "How do I pick a model?", "How do I switch models?",
         "Which model should I use?", "Can I use a different model?", "Where is the model picker?",
         "How do I choose another model?", "How do I use a better model?"],
        "Pick a model in the agent panel's model picker and save. Hosted models need OPENROUTER_API_KEY; the "
        "tiny offline model works without one.",
    ),
    (
        ["What is temperature?", "What does temperature do?", "What is the default temperature?",
         "Which temperature should I use?"],
        "Temperature controls randomness, from 0 to 2. The default is 0.7; use 0 for repeatable answers.",
    ),
    (
        ["What is top_p?", "What does top p do?", "What is nucleus sampling?", "What is the default top_p?"],
        "top_p keeps only the most likely tokens whose probabilities add up to p, from 0 to 1. The default is 1.0.",
    ),
    (
        ["What is max tokens?", "What does max_tokens do?", "How long can an answer be?",
         "What is the default max tokens?"],
        "max_tokens caps the length of an answer. The default is 1024 tokens; a run that hits it ends with "
        "finish reason length.",
    ),
    (
        ["What is a system prompt?", "How long can the system prompt be?", "Where do I set the system prompt?"],
        "The system prompt tells the model how to behave in every turn. Set it in the agent panel; it may be "
        "up to 32,000 characters.",
    ),
    (
        ["Which tools can an agent use?", "What tools are there?", "Can the agent call tools?",
         "What is add_numbers?", "What is utc_now?"],
        "Three tools: an agent can call add_numbers adds two numbers, utc_now tells the time in UTC, and "
        "fetch_url reads a web page from an allowed host. fetch_url is off by default.",
    ),
    (
        ["What is fetch_url?", "Which sites can fetch_url reach?", "Why was my URL refused?",
         "What is the fetch allow-list?", "How do I allow another domain?"],
        "fetch_url only reaches hosts on the allow-list: example.com, api.github.com and "
        "raw.githubusercontent.com by default. Set FETCH_ALLOWLIST to change it. Other hosts are refused.",
    ),
    (
        ["What is tokens per second?", "What does tokens/s mean?", "How is tokens/s measured?",
         "What is tokens_per_s?", "How fast is the model?"],
        "Tokens per second is the number of completion tokens divided by the generation time after the first "
        "token. It shows how fast a model writes once it has started.",
    ),
    (
        ["What is TTFT?", "What does TTFT mean?", "What is time to first token?", "What is ttft_ms?"],
        "TTFT is the time to first token: the milliseconds from sending the request to receiving the first "
        "token of the answer.",
    ),
    (
        ["What is latency?", "What is latency_ms?", "How is latency measured?"],
        "Latency is the time from the request to the last token of the answer, in milliseconds.",
    ),
    (
        ["How is cost computed?", "What does a run cost?", "How much does a run cost?", "What is cost_usd?",
         "Why is the cost zero?", "Is the price per token?"],
        "Cost uses the amount the provider reports when it reports one, otherwise price times tokens from the "
        "model catalog. An unknown price gives 0 and the run is marked unpriced. Local models cost 0.",
    ),
    (
        ["What is runs.csv?", "Where are runs recorded?", "Where is the telemetry?", "What is in runs.csv?",
         "How are runs saved?"],
        "Every run is one row of data/runs.csv, a plain CSV file: time, agent, model, tokens, latency, cost, "
        "tags, TTFT, tokens per second and finish reason. Open it with any spreadsheet.",
    ),
    (
        ["How do I download runs.csv?", "How do I export my runs?", "Can I get the runs as CSV?"],
        "Click Download runs.csv under the runs table, or call GET /api/runs.csv.",
    ),
    (
        ["What is a run?", "What does a run record?", "What is recorded for each run?"],
        "A run is one user message and the agent's complete answer. The lab records its tokens, latency, TTFT, "
        "tokens per second, cost, finish reason and whether it was stopped.",
    ),
    (
        ["What is a session?", "Where are sessions stored?", "How do I save a conversation?",
         "What are session files?", "How do I load an old chat?"],
        "A session is one conversation, saved as data/sessions/<id>.json with the agent settings, the "
        "transcript and every run. Save, load or start a new one in the sessions panel.",
    ),
    (
        ["What is read-only mode?", "How do I turn on read-only mode?", "How do I make the lab read-only?",
         "Why are writes refused?", "What is READ_ONLY_MODE?"],
        "While a file READ_ONLY_MODE exists in the working directory, every write is refused with 503 and "
        "reads keep working. Use touch READ_ONLY_MODE, or npx --no-install agent-lab read-only on.",
    ),
    (
        ["How do I leave read-only mode?", "How do I turn off read-only mode?"],
        "Delete the READ_ONLY_MODE file, or run npx --no-install agent-lab read-only off. It takes effect "
        "within a second.",
    ),
    (
        ["What is maintenance mode?", "How do I turn on maintenance mode?", "What is MAINTENANCE_MODE?"],
        "Maintenance mode: while a file MAINTENANCE_MODE exists, pages show a maintenance page and the API answers 503. Health "
        "checks keep answering. Use npx --no-install agent-lab maintenance on or off.",
    ),
    (
        ["What is the CLI?", "Which commands does the CLI have?", "How do I use the command line?",
         "What is npx agent-lab?", "List the CLI commands."],
        "The operations CLI is npx --no-install agent-lab with the commands check, quarantine, backup, "
        "restore, rebuild-csv, snapshot, read-only, maintenance, smoke and logs.",
    ),
    (
        ["How do I back up the data?", "How do backups work?", "How do I make a backup?", "What is BACKUP_DIR?"],
        "Backups: run npx --no-install agent-lab backup. It writes a dated snapshot of sessions, runs.csv and agents to "
        "BACKUP_DIR. The server also backs up every 6 hours and keeps 90 days.",
    ),
    (
        ["How do I restore a backup?", "How do I restore my sessions?", "How do I restore data?"],
        "To restore, run npx --no-install agent-lab restore --type sessions --date YYYYMMDD. The type may be sessions, "
        "telemetry, agents or all.",
    ),
    (
        ["How do I check the data?", "How do I find damaged files?", "What does agent-lab check do?"],
        "The check command, npx --no-install agent-lab check, validates every session and runs.csv, counts valid and "
        "invalid files, and exits non-zero on damage. Then quarantine moves damaged files aside.",
    ),
    (
        ["How do I rebuild runs.csv?", "runs.csv is broken, what do I do?", "What is rebuild-csv?"],
        "If runs.csv is damaged, run npx --no-install agent-lab rebuild-csv. It rebuilds runs.csv from the session files and keeps "
        "rows that no session can reproduce.",
    ),
    (
        ["How do I check health?", "What is the health endpoint?", "Is the lab healthy?", "What is /health?"],
        "GET /health answers 200 with status healthy in milliseconds. GET /health/detailed shows every "
        "dependency: data directory, runs.csv, provider, circuit breaker and flags.",
    ),
    (
        ["What metrics are there?", "What is /metrics?", "How do I see the error rate?", "What is error_rate_sli?"],
        "Metrics: GET /metrics returns JSON with error_rate_sli, availability_sli, latency_p95_sli, total_requests, "
        "streaming metrics and performance. Prometheus gets its text format.",
    ),
    (
        ["Where are the logs?", "How do I read the logs?", "How do I see errors?", "What is LOG_FILE?"],
        "Logs go to stdout and to LOG_FILE, ./logs/app.log by default. npx --no-install agent-lab logs "
        "--errors groups the errors by kind.",
    ),
    (
        ["How do I set my API key?", "Where do I put the OpenRouter key?", "What is OPENROUTER_API_KEY?",
         "Is my API key safe?"],
        "Set OPENROUTER_API_KEY in the environment or in .env and restart the lab, then pick an OpenRouter "
        "model in the model picker. The key is never logged and never sent to the browser.",
    ),
    (
        ["Which providers are supported?", "Can I use Ollama?", "Can I use another server?",
         "What is OPENROUTER_BASE_URL?", "Can I use vLLM or llama.cpp?"],
        "Models come from OpenRouter by default, from any OpenAI-compatible server such as Ollama, llama.cpp "
        "or vLLM through OPENROUTER_BASE_URL, or from a GGUF file run in-process.",
    ),
    (
        ["How do I use a local model?", "Can I run a GGUF file?", "What is LOCAL_MODEL_PATH?",
         "How do I add my own model?", "Can I use Llama or Qwen locally?"],
        "LOCAL_MODEL_PATH: point it at a .gguf file or a folder of them. Each model appears in the model list as "
        "local, runs in-process on the CPU and costs 0.",
    ),
    (
        ["Does it work offline?", "Can I use the lab without an API key?", "What happens without a network?",
         "Do I need an API key?"],
        "Yes. With no key and no network the lab still works on me, the tiny offline model: streaming, Stop, "
        "tokens per second and every run recorded.",
    ),
    (
        ["How do I stop an answer?", "What does the Stop button do?", "How do I cancel a run?",
         "What happens when I press Esc?"],
        "Press Stop or Esc. The request is aborted at once and the run is recorded with aborted true and the "
        "tokens that had arrived.",
    ),
    (
        ["What is a bake-off?", "How do I compare models?", "Can I run several models at once?",
         "How do I compare two agents?"],
        "A bake-off sends one prompt to several agents at once and streams their answers side by side, so you "
        "can compare quality, speed and cost.",
    ),
    (
        ["What are the keyboard shortcuts?", "How do I send a message?", "Which keys can I use?"],
        "Enter sends, Shift+Enter adds a new line, Esc stops the answer and Ctrl+K focuses the input.",
    ),
    (
        ["What are tags?", "What is experiment_id?", "What is task_label?", "How do I tag a run?"],
        "Each run can carry tags: experiment_id, task_label and run_notes. They are saved in runs.csv so you "
        "can filter and group your runs.",
    ),
    (
        ["How do I protect the lab with a password?", "What is LAB_AUTH_TOKEN?", "How do I secure the lab?"],
        "LAB_AUTH_TOKEN protects the lab: once it is set, every route but the health checks needs the token. The lab binds to "
        "127.0.0.1 by default.",
    ),
    (
        ["What is the rate limit?", "Why did I get 429?", "What is RATE_LIMIT_PER_MINUTE?"],
        "RATE_LIMIT_PER_MINUTE caps the requests of each client per minute. Past that the lab answers 429 with "
        "Retry-After. Health and metrics are never limited.",
    ),
    (
        ["What is the circuit breaker?", "Why is the circuit open?", "What does circuit open mean?"],
        "The circuit breaker opens after 5 failures in a row for one provider and model, and tries again "
        "after 60 seconds. Its state is shown in health and metrics.",
    ),
    (
        ["Does the lab retry?", "How do retries work?", "What is RETRY_MAX_ATTEMPTS?"],
        "Transient provider errors are retried with backoff, up to RETRY_MAX_ATTEMPTS, 3 by default, but only "
        "before the first token, so text is never repeated.",
    ),
    (
        ["What is STREAMING_ENABLED?", "Can I turn off streaming?", "How does streaming work?"],
        "Answers stream token by token as server-sent events. STREAMING_ENABLED=false makes provider calls "
        "non-streaming; the page works the same.",
    ),
    (
        ["Where is the data stored?", "What is DATA_DIR?", "What is in the data folder?"],
        "DATA_DIR, ./data by default, holds everything: runs.csv, sessions, agents and quarantined files. "
        "They are plain files you can open with standard tools.",
    ),
    (
        ["How do I refresh the model list?", "Where does the model list come from?", "What is /api/models?",
         "What does Fallback mean?"],
        "/api/models lists the models. The list is fetched from the provider at start and on Refresh; if "
        "that fails the lab shows a curated fallback list.",
    ),
    (
        ["How do I run the tests?", "How do I test the lab?"],
        "npm test runs every test, including the browser tests, after npm ci.",
    ),
    (
        ["What licence does Agent Lab have?", "Is Agent Lab open source?", "What is the license?"],
        "MIT. Agent Lab is under the MIT licence, and so are this tiny model and the guide it was trained on.",
    ),
    (
        ["How were you trained?", "How do I train the tiny model?", "Where is the training script?"],
        "With PyTorch, on a small guide to Agent Lab; then I was exported to GGUF. The scripts and a "
        "README are in tools/local-model.",
    ),
    (
        ["What is finish_reason?", "What does finish reason mean?", "What does length mean?"],
        "The finish reason says why an answer ended: stop when the model finished, length when it hit max "
        "tokens, abort when you pressed Stop.",
    ),
]

# More ways a new user asks the most common first questions, added to the topics above by their
# first question (kept apart so the topics stay readable).
PARAPHRASES: dict[str, list[str]] = {
    "What is Agent Lab?": [
        "What is this app about?", "What is this tool?", "What is this page?", "What's this?",
        "What does this app do?", "What does this lab do?", "What can I do here?", "What is this for?",
        "Describe Agent Lab.", "Give me an overview of Agent Lab.", "What is the purpose of Agent Lab?",
        "Can you describe this app?", "I just opened this, what is it?", "What is Agent Lab used for?",
        "What is this project?", "Explain this app to me.", "Where am I?", "What is going on here?",
        "What is this software?", "Tell me about this app.", "What is this place?", "Introduce Agent Lab.",
        "What exactly is Agent Lab?", "Why would I use Agent Lab?", "What is Agent Lab good for?",
    ],
    "Who are you?": [
        "Who are you exactly?", "Who is this?", "Who am I chatting with?", "Who is answering?",
        "Are you a bot?", "Are you an AI?", "What kind of model are you?", "What model are you?",
        "Which model is answering?", "What model am I talking to?", "Which LLM are you?", "What LLM is this?",
        "Are you GPT-4?", "Are you Claude?", "Are you Llama?", "What is your name?", "Introduce yourself.",
        "Tell me about yourself.", "Why are your answers so short?", "Are you the tiny model?",
        "Which model is running?", "What am I talking to?", "How many parameters do you have?",
        "Are you smart?", "Are you an assistant?",
    ],
    "Hello": [
        "Hello!", "Hi!", "Hey!", "Hi, how are you?", "Good afternoon", "Greetings",
        "Hiya", "Yo", "Hello, anyone there?", "Hi, I am new here.", "Hey, I just installed this.",
        "Good day", "Hallo", "Hello Agent Lab", "Hey bot", "Hi assistant", "Morning!", "Hello again",
        "What's up?", "Sup", "Hey hey", "Hi there, can you help me?", "Hello, who is this?",
    ],
    "Thanks": [
        "Thanks!", "Thank you!", "Thanks so much", "Many thanks", "Thank you very much.", "Thx", "Ty",
        "Great, thanks!", "Perfect, thank you", "That helps, thanks.", "Awesome, thanks", "Appreciate it",
        "Nice, thanks", "OK thanks", "Thanks for the help.", "Cheers", "Much obliged",
    ],
    "Goodbye": ["Bye!", "Good night", "Bye bye", "Cya", "I am done, bye.", "Have a nice day, bye", "Farewell"],
    "How do I start Agent Lab?": [
        "How do I run Agent Lab locally?", "How do I start the server?", "How do I set it up?",
        "How do I run this on my computer?", "How do I install this?", "What do I need to run the lab?",
        "How do I start it?", "Which command starts the lab?",
    ],
    "How do I set my API key?": [
        "How do I add an API key?", "How do I add my OpenRouter key?", "How do I use OpenRouter?",
        "How do I connect OpenRouter?", "How do I set up OpenRouter?", "Where do I enter my API key?",
        "Where does the API key go?", "How do I configure the API key?", "I have an OpenRouter key, now what?",
        "How do I use real models?", "How do I use GPT-4 or Claude?", "How do I get hosted models?",
        "Where do I paste my key?", "How do I add a key?", "How do I connect to OpenRouter?",
        "How do I enable OpenRouter models?", "How can I use a bigger model?", "Where is the API key setting?",
        "How do I put in my key?", "Can I use my own API key?",
    ],
    "How do I stop an answer?": [
        "How do I stop a run?", "How do I stop the model?", "How do I stop generation?",
        "How do I interrupt the model?", "Can I stop an answer halfway?", "How do I abort a run?",
        "How do I cancel the answer?", "The answer is too long, how do I stop it?", "Where is the Stop button?",
        "How do I halt the stream?", "Stop generating!", "How do I end a run early?", "Can I cancel a request?",
    ],
    "What is TTFT?": [
        "What is the TTFT column?", "Explain TTFT.", "What does ttft mean?",
        "TTFT?", "What is TTFT in ms?", "Define time to first token.", "Why is TTFT important?",
        "How is TTFT measured?", "What is first token latency?",
    ],
    "What is tokens per second?": [
        "What is tokens/s?", "What does tok/s mean?", "Explain tokens per second.", "What is the tokens/s column?",
        "What is throughput?", "How is speed measured?", "What is generation speed?", "Tokens/s?",
        "What does tokens per second tell me?", "How fast do you write?", "Define tokens per second.",
    ],
    "What is runs.csv?": [
        "Where are runs stored?", "Where are my runs saved?", "Where do runs go?", "Where can I see my runs?",
        "Where is the run history?", "Where are results stored?", "Where is the run log?", "Where are my runs?",
        "Where are runs written?", "How do I find old runs?", "Which file has my runs?", "Is there a log of runs?",
        "Where is the telemetry stored?", "Where are the run records?",
    ],
    "What is a session?": [
        "Where is my conversation saved?", "Where are my chats stored?", "Where is the chat history?",
        "How do I get back an old conversation?", "Are my chats saved?", "How do I start a new chat?",
    ],
    "How is cost computed?": [
        "How much does it cost?", "Is this free?", "How much do I pay?", "How do I see the cost?",
        "What does a model cost?", "How is the price calculated?", "Does the tiny model cost anything?",
    ],
    "Does it work offline?": [
        "Can I use it offline?", "Does it need the internet?", "Do I need internet?", "Can I try it without a key?",
        "Why does it work without a key?", "Is an API key required?", "Can it run without OpenRouter?",
    ],
    "How do I configure an agent?": [
        "How do I make an agent?", "How do I edit my agent?", "How do I change the agent settings?",
        "What is the default agent?", "How do I save an agent?",
    ],
    "What is a bake-off?": [
        "How do I compare two models?", "Can I compare models side by side?", "How do I run a bake-off?",
    ],
    "What licence does Agent Lab have?": [
        "What license is Agent Lab under?", "Is it free software?", "Can I use Agent Lab commercially?",
        "What licence is the tiny model under?",
    ],
}

# Questions outside the guide: the model should say honestly that it cannot help, and point at
# what it can do.
OFF_TOPIC_QUESTIONS: list[str] = [
    "What is the capital of France?", "Write me a poem.", "What is 17 times 23?", "Who won the world cup?",
    "Tell me a joke.", "What is the weather today?", "Translate hello into German.", "Write a Python function.",
    "What is the meaning of life?", "Who is the president?", "Summarise this article.", "How do I cook rice?",
    "What is quantum physics?", "Can you help me with my homework?", "What is the best programming language?",
    "Write an email to my boss.", "How tall is Mount Everest?", "Explain relativity.",
    "What is the capital of Japan?", "Write a story about a dragon.", "What is 5 plus 7?", "What is 9*8?",
    "Who painted the Mona Lisa?", "Who wrote Hamlet?", "Who was Isaac Newton?", "Who is Taylor Swift?",
    "Will it rain tomorrow?", "What time is it in Tokyo?", "Translate this sentence into French.",
    "Write a SQL query.", "Fix my JavaScript code.", "How do I reverse a list in Python?", "Explain recursion.",
    "What is machine learning?", "What is a neural network?", "How does the stock market work?",
    "Should I buy bitcoin?", "What should I eat for dinner?", "Give me a recipe for soup.", "How do I bake bread?",
    "Recommend a book.", "What is the best film ever?", "Suggest a song.", "Plan my trip to Rome.",
    "How do I lose weight?", "I have a headache, what should I do?", "Tell me a fun fact.",
    "What is the speed of light?", "How far is the moon?", "Why is the sky blue?", "What is DNA?",
    "Who invented the telephone?", "When did World War II end?", "What is the population of India?",
    "Write a limerick.", "Compose a song about the sea.", "Tell me a story.", "Draw a picture of a cat.",
    "Play a game with me.", "Do you love me?", "What is your favourite colour?", "Are you conscious?",
    "Write my essay on climate change.", "Solve x squared equals 9.", "What is the square root of 144?",
    "How do I fix my car?", "How do I learn guitar?", "What is the best phone?", "Who is the richest person?",
    "What is the tallest building?", "Explain black holes.", "How do vaccines work?", "What is love?",
    "Convert 10 miles to kilometres.", "What day is it today?", "Give me stock tips.", "Write a cover letter.",
    "How do I center a div?", "What is Kubernetes?", "How do I use git rebase?", "asdfgh", "blah blah",
    "Sing me a song.", "What is the news today?", "Who will win the election?", "Tell me about dinosaurs.",
]

OFF_TOPIC_ANSWER = (
    "Sorry, I cannot answer that: I am a tiny offline demo model and only know about Agent Lab. Try asking "
    "what the lab is, how to add an API key or what TTFT means, or pick a hosted model in the model picker."
)

# System prompts a user might leave on the agent; the model learns to answer the same way.
SYSTEM_PROMPTS: list[str] = [
    "You are a helpful assistant.",
    "You are a helpful assistant. Answer briefly.",
    "You are a concise assistant.",
    "Answer the user's questions about Agent Lab.",
    "You are Agent Lab's offline guide.",
    "Be friendly and clear.",
]

for _questions, _answer in TOPICS:
    _questions.extend(PARAPHRASES.pop(_questions[0], []))
assert not PARAPHRASES, f"paraphrases for unknown topics: {list(PARAPHRASES)}"
