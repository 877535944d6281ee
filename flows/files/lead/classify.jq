# Intent of a lead's message by keywords, and the bill value when the text carries one.
# Input: {type, category, text, choice}. Output: {intent, bill_value}.
# `choice` is the id of a tapped list row: a plan from the plans list.
(.text // "") as $t
| (if .type == "reaction" then "reacao"
   elif .type == "location" then "localizacao"
   elif .type == "contacts" then "contato"
   elif .category == "media" and (.type == "image" or .type == "document") then "conta"
   elif (.choice // "") != "" then "plano"
   elif ($t | test("atendente|humano|pessoa|consultor|falar com (algu[eé]m|um|uma)"; "i")) then "humano"
   elif ($t | test("agendar|visita"; "i")) then "visita"
   elif ($t | test("^\\s*\\d{1,3}(\\.\\d{3})+\\s*$|r\\$\\s*\\d|\\d+\\s*(reais|pila|conto)|^\\s*\\d{2,5}([.,]\\d{1,2})?\\s*$|conta[^0-9]{0,25}\\d{2,5}|pago[^0-9]{0,15}\\d{2,5}"; "i")) then "valor"
   elif ($t | test("enviar conta|foto da conta|mandar a conta|enviar a conta"; "i")) then "conta_pedido"
   elif ($t | test("pre[cç]o|or[cç]amento|quanto custa|planos?\\b|simula|investimento|valores"; "i")) then "orcamento"
   elif ($t | test("como funciona|garantia|manuten|prazo|instala|placas?\\b|inversor|d[uú]vida"; "i")) then "duvida"
   elif ($t | test("^\\s*(oi|ol[aá]|bom dia|boa tarde|boa noite|e a[ií]|hello|hi)\\b"; "i")) then "saudacao"
   else "outro" end) as $intent
| {intent: $intent,
   bill_value: (if $intent == "valor" then
       ([$t | match("(\\d{1,3}(\\.\\d{3})+|\\d+)(,\\d{1,2})?"; "g") | .string] | first
        | if . == null then null else (gsub("\\."; "") | sub(","; ".") | tonumber) end)
     else null end)}
